/**
 * Crash-test child: appends sales (and a checkpoint every 10th record) forever, printing
 * "<seq> <hash hex>" for every acknowledged record. The parent SIGKILLs it at random moments.
 * argv: LOG_PATH MODE CONCURRENCY, MODE "torn" writes each frame in slow 16-byte pieces so that a
 * kill usually lands inside a frame (a torn tail on disk), "whole" uses the normal writer.
 */
import { type LogFileIo, nodeCryptoSigner, nodeFileIo, TransactionLog } from '../src/index';
import { sale, TEST_PRIVATE_KEY, TEST_TERMINAL_ID } from './fixtures';

const [path, mode = 'whole', concurrencyArg = '3'] = process.argv.slice(2);
if (!path) throw new Error('usage: crash-child.ts LOG_PATH [whole|torn] [CONCURRENCY]');

const tornIo: LogFileIo = {
  ...nodeFileIo,
  async write(fh, data, position) {
    for (let done = 0; done < data.length; done += 16) {
      await nodeFileIo.write(fh, data.subarray(done, Math.min(done + 16, data.length)), position + done);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  },
};

const log = await TransactionLog.open(path, {
  create: true,
  signer: nodeCryptoSigner(TEST_PRIVATE_KEY, TEST_TERMINAL_ID),
  io: mode === 'torn' ? tornIo : nodeFileIo,
});
process.stdout.write(`ready ${log.head.count}\n`);
let terminalSeq = log.head.count;

async function worker(): Promise<never> {
  for (;;) {
    const n = terminalSeq++;
    const appended = n % 10 === 9 ? await log.checkpoint() : await log.append(sale(n, 100 + (n % 5000)));
    // Pipe writes are synchronous on Linux: once this returns, the parent will see the line.
    process.stdout.write(`${appended.seq} ${Buffer.from(appended.hash).toString('hex')}\n`);
  }
}

await Promise.all(Array.from({ length: Number(concurrencyArg) }, () => worker()));
