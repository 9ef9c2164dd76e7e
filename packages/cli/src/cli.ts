#!/usr/bin/env node
import { runHudumaCli } from './index';

process.exitCode = await runHudumaCli(process.argv.slice(2));
