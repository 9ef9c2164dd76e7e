#!/usr/bin/env node
import { runMain } from '@huduma/cli-kit';
import { pkiCli } from './run-cli';

await runMain(pkiCli);
