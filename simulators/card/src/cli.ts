#!/usr/bin/env node
import { runSimCli } from './run-cli';

process.exitCode = await runSimCli(process.argv.slice(2));
