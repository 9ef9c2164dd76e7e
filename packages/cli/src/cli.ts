#!/usr/bin/env node
import { runMain } from '@huduma/cli-kit';
import { hudumaCli } from './index';

await runMain(hudumaCli);
