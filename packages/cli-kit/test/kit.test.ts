import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CliIo, command, defineCli, runCli, UsageError } from '../src/index';

function capture(): { io: CliIo; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    io: { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } },
    out: () => out,
    err: () => err,
  };
}

class CardGoneError extends Error {
  readonly code = 'ERR_CARD_GONE';
  readonly nextStep = 'tap the card again';
}

const seen: unknown[] = [];
const issue = command({
  name: 'issue',
  summary: 'issue a card',
  options: {
    out: { type: 'string', value: 'FILE', description: 'card file', required: true },
    balance: { type: 'kes', description: 'opening balance', allowZero: true },
    days: { type: 'integer', description: 'validity', min: 1, max: 3650 },
    json: { type: 'boolean', description: 'JSON output' },
  },
  run: ({ values, need, io }) => {
    seen.push({ ...values, out: need('out') });
    io.stdout.write(`issued ${values.balance ?? 0}\n`);
    return 0;
  },
});
const demo = defineCli({
  name: 'demo',
  version: '9.8.7',
  summary: 'a demo CLI',
  commands: [
    issue,
    command({
      name: 'log',
      summary: 'log tools',
      commands: [
        command({ name: 'verify', summary: 'verify a log', args: ['FILE'], run: () => 0 }),
        command({
          name: 'broken',
          summary: 'fails with a typed error',
          run: () => {
            throw new CardGoneError('the card went away');
          },
        }),
        command({
          name: 'bug',
          summary: 'fails with an untyped error',
          run: () => {
            throw new Error('undefined is not a function\n    at somewhere (x.ts:1:1)');
          },
        }),
      ],
    }),
  ],
});

describe('cli-kit', () => {
  it('parses options, converts KES amounts to cents and runs the command', async () => {
    const c = capture();
    expect(await runCli(demo, ['issue', '--out', 'c.cbor', '--balance', '250.00', '--days=30'], c.io)).toBe(
      0,
    );
    expect(c.out()).toBe('issued 25000\n');
    expect(seen.at(-1)).toEqual({ out: 'c.cbor', balance: 25_000, days: 30 });
  });

  it('answers --help, -h and help <cmd> on every level, and --version at the root', async () => {
    for (const argv of [['--help'], ['-h'], ['help']]) {
      const c = capture();
      expect(await runCli(demo, argv, c.io)).toBe(0);
      expect(c.out()).toContain('usage: demo <command>');
      expect(c.out()).toMatch(/issue\s+issue a card/);
      expect(c.out()).toMatch(/log\s+log tools/);
    }
    for (const argv of [
      ['issue', '--help'],
      ['help', 'issue'],
      ['issue', '--balance', 'x', '-h'],
    ]) {
      const c = capture();
      expect(await runCli(demo, argv, c.io)).toBe(0);
      expect(c.out()).toContain('usage: demo issue --out FILE [--balance KES]');
      expect(c.out()).toMatch(/--balance KES\s+opening balance/);
    }
    const sub = capture();
    expect(await runCli(demo, ['help', 'log', 'verify'], sub.io)).toBe(0);
    expect(sub.out()).toContain('usage: demo log verify FILE');
    const v = capture();
    expect(await runCli(demo, ['--version'], v.io)).toBe(0);
    expect(v.out()).toBe('demo 9.8.7\n');
  });

  it('a usage mistake is one clear line and the usage, exit 2, and runs nothing', async () => {
    const cases: Array<[string[], string]> = [
      [['frobnicate'], 'demo: unknown command "frobnicate"'],
      [['issue', '--colour', 'red', '--out', 'x'], 'demo issue: unknown option --colour'],
      [['issue', '--out'], 'demo issue: --out needs a value'],
      [['issue', '--out', 'a', '--out', 'b'], 'demo issue: --out given twice'],
      [['issue'], 'demo issue: --out is required'],
      [['issue', '--out', 'x', '--balance', '2.505'], 'more than 2 decimals'],
      [['issue', '--out', 'x', '--balance', '-1'], '--balance needs a value'],
      [['issue', '--out', 'x', '--days', '0'], '--days must be a whole number from 1 up to 3650'],
      [['issue', '--out', 'x', '--json=yes'], '--json takes no value'],
      [['issue', '--out', 'x', 'extra'], 'unexpected argument "extra"'],
      [['log', 'verify'], 'demo log verify: FILE is required'],
      [['help', 'nope'], 'unknown command "nope"'],
    ];
    for (const [argv, message] of cases) {
      const before = seen.length;
      const c = capture();
      expect(await runCli(demo, argv, c.io), argv.join(' ')).toBe(2);
      const [first, second] = c.err().split('\n');
      expect(first, argv.join(' ')).toContain(message);
      expect(second).toMatch(/^usage: demo/);
      expect(c.out()).toBe('');
      expect(seen.length).toBe(before);
    }
  });

  it('a group without its command lists its commands on stderr, exit 2', async () => {
    const c = capture();
    expect(await runCli(demo, [], c.io)).toBe(2);
    expect(c.err()).toContain('commands:');
  });

  it('a typed error is "error: <message>" and its next step, exit 1; the stack only with --debug', async () => {
    const c = capture();
    expect(await runCli(demo, ['log', 'broken'], c.io)).toBe(1);
    expect(c.err()).toBe('error: the card went away (ERR_CARD_GONE)\nnext step: tap the card again\n');
    const d = capture();
    expect(await runCli(demo, ['log', 'broken', '--debug'], d.io)).toBe(1);
    expect(d.err()).toContain('error: the card went away');
    expect(d.err()).toMatch(/Error: the card went away\n\s+at /);
  });

  it('an untyped error still gives one line (no stack) and says how to get more', async () => {
    const c = capture();
    expect(await runCli(demo, ['log', 'bug'], c.io)).toBe(1);
    expect(c.err()).toBe(
      'error: undefined is not a function\n(an unexpected failure: run again with --debug and report it)\n',
    );
  });

  it('the CLI can add the next step for errors it knows', async () => {
    const cli = defineCli({
      name: 'files',
      version: '1.0.0',
      summary: 'x',
      nextStep: (e) => ((e as { code?: string }).code === 'ENOENT' ? 'check the path' : undefined),
      run: () => {
        throw Object.assign(new Error("ENOENT: no such file or directory, open 'x'"), { code: 'ENOENT' });
      },
    });
    const c = capture();
    expect(await runCli(cli, [], c.io)).toBe(1);
    expect(c.err()).toBe("error: ENOENT: no such file or directory, open 'x'\nnext step: check the path\n");
  });

  it('a command may raise a usage error for rules between its options', async () => {
    const cli = defineCli({
      name: 'pair',
      version: '1.0.0',
      summary: 'x',
      options: { a: { type: 'string', description: 'a' }, b: { type: 'string', description: 'b' } },
      run: ({ values }) => {
        if ((values.a === undefined) === (values.b === undefined)) throw new UsageError('give --a or --b');
        return 0;
      },
    });
    const c = capture();
    expect(await runCli(cli, [], c.io)).toBe(2);
    expect(c.err()).toMatch(/^pair: give --a or --b\nusage: pair \[--a VALUE\] \[--b VALUE\]/);
    expect(await runCli(cli, ['--version'], capture().io)).toBe(0);
  });
});

describe('cli-kit with hostile command lines', () => {
  const seed = Number(process.env.HUDUMA_SEED ?? Date.now() % 2 ** 31);
  const token = fc.oneof(
    fc.string(),
    fc.constantFrom(
      'issue',
      'log',
      'verify',
      'broken',
      'help',
      '--help',
      '-h',
      '--version',
      '--debug',
      '--out',
      '--balance',
      '--days',
      '--json',
      '--',
      '-',
      '--=',
      '--out=',
      '-x',
      '--balance=1e3',
      '__proto__',
      '--__proto__',
      '--constructor',
      'toString',
    ),
  );

  it(`never throws out of the kit: an exit code of 0, 1 or 2 and some output (seed ${seed})`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(token, { maxLength: 8 }), async (argv) => {
        const c = capture();
        const code = await runCli(demo, argv, c.io);
        expect([0, 1, 2]).toContain(code);
        if (code === 2) expect(c.err()).toMatch(/usage: demo|commands:/);
        if (code === 1) expect(c.err()).toMatch(/^error: /);
      }),
      { seed, numRuns: 400 },
    );
  });
});
