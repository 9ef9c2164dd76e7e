#!/usr/bin/env node
import { runPkiCli } from './run-cli';

process.exitCode = await runPkiCli(process.argv.slice(2));
