import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyRuns } from '../../../test/support/random';
import { chainCommand } from './chaining';
import { type CommandApdu, decodeCommand, encodeCommand } from './command';
import { ApduError } from './errors';
import { fromHex, hex } from './hex';
import { decodeResponse, encodeResponse } from './response';
import { encodeTlv, parseTlv, type Tlv } from './tlv';

const FUZZ_RUNS = propertyRuns(10_000);

const byte = fc.integer({ min: 0, max: 255 });

const commandArb: fc.Arbitrary<CommandApdu> = fc
  .record({
    cla: byte,
    ins: byte,
    p1: byte,
    p2: byte,
    data: fc.option(
      fc.oneof(
        { weight: 4, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 260 }) },
        { weight: 1, arbitrary: fc.uint8Array({ minLength: 256, maxLength: 2000 }) },
        { weight: 1, arbitrary: fc.constant(new Uint8Array(65535).fill(0x42)) },
      ),
      { nil: undefined },
    ),
    le: fc.option(
      fc.oneof(fc.integer({ min: 1, max: 256 }), fc.integer({ min: 1, max: 65536 }), fc.constant(65536)),
      { nil: undefined },
    ),
  })
  .map(({ data, le, ...header }) => ({
    ...header,
    ...(data === undefined ? {} : { data }),
    ...(le === undefined ? {} : { le }),
  }));

/** Tag bytes a BER encoder may produce: 1-4 bytes, constructed or primitive, never starting with 00/FF. */
function tagArb(constructed: boolean): fc.Arbitrary<number> {
  const cbit = constructed ? 0x20 : 0x00;
  const cls = fc.constantFrom(0x00, 0x40, 0x80, 0xc0);
  const single = fc
    .tuple(cls, fc.integer({ min: 0, max: 30 }))
    .map(([c, n]) => c | cbit | n)
    .filter((b) => b !== 0x00);
  const multi = fc
    .tuple(
      cls,
      fc.array(fc.integer({ min: 0x80, max: 0xff }), { maxLength: 2 }),
      fc.integer({ min: 0x00, max: 0x7f }),
    )
    .filter(([c]) => (c | cbit | 0x1f) !== 0xff)
    .map(([c, middle, last]) => [c | cbit | 0x1f, ...middle, last].reduce((acc, b) => acc * 256 + b, 0));
  return fc.oneof(single, multi);
}

const { tree: tlvTreeArb } = fc.letrec<{ tree: Tlv; primitive: Tlv; constructed: Tlv }>((tie) => ({
  tree: fc.oneof({ depthSize: 'small', withCrossShrink: true }, tie('primitive'), tie('constructed')),
  primitive: fc.record({
    tag: tagArb(false),
    constructed: fc.constant(false),
    value: fc.oneof(
      { weight: 5, arbitrary: fc.uint8Array({ maxLength: 40 }) },
      { weight: 1, arbitrary: fc.uint8Array({ minLength: 120, maxLength: 700 }) },
    ),
  }),
  constructed: fc
    .record({ tag: tagArb(true), children: fc.array(tie('tree'), { maxLength: 4 }) })
    .map(({ tag, children }) => ({ tag, constructed: true, value: new Uint8Array(0), children })),
}));

/** What survives encode→parse: tags, the constructed flag, primitive values and the tree shape. */
function shape(tlv: Tlv): unknown {
  return tlv.children
    ? { tag: tlv.tag, constructed: tlv.constructed, children: tlv.children.map(shape) }
    : { tag: tlv.tag, constructed: tlv.constructed, value: hex(tlv.value) };
}

type Mutation =
  | { kind: 'flip'; at: number; value: number }
  | { kind: 'insert'; at: number; value: number }
  | { kind: 'delete'; at: number }
  | { kind: 'truncate'; at: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: byte }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), value: byte }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);

function mutate(bytes: Uint8Array, mutations: Mutation[]): Uint8Array {
  let out = Array.from(bytes);
  for (const m of mutations) {
    const at = out.length === 0 ? 0 : m.at % (out.length + (m.kind === 'insert' ? 1 : 0));
    if (m.kind === 'flip' && out.length > 0) out[at] = m.value;
    else if (m.kind === 'insert') out.splice(at, 0, m.value);
    else if (m.kind === 'delete') out.splice(at, 1);
    else if (m.kind === 'truncate') out = out.slice(0, at);
  }
  return Uint8Array.from(out);
}

/** Runs a decoder; it may return a value or throw ApduError with a string code, nothing else. */
function returnsOrThrowsApduError<T>(decode: () => T): T | undefined {
  try {
    return decode();
  } catch (err) {
    if (!(err instanceof ApduError)) throw err;
    expect(typeof err.code).toBe('string');
    expect(err.code).toMatch(/^ERR_[A-Z0-9_]+$/);
    return undefined;
  }
}

const smallCommandArb = commandArb.filter((c) => (c.data?.length ?? 0) < 600);
const shortBytes = fc.uint8Array({ maxLength: 300 });

describe('round trips', () => {
  it('decodeCommand(encodeCommand(cmd)) gives back cmd, in short and extended form', () => {
    fc.assert(
      fc.property(commandArb, fc.boolean(), (cmd, forceExtended) => {
        const bytes = encodeCommand(cmd, { extended: forceExtended });
        const decoded = decodeCommand(bytes);
        expect({ cla: decoded.cla, ins: decoded.ins, p1: decoded.p1, p2: decoded.p2 }).toEqual({
          cla: cmd.cla,
          ins: cmd.ins,
          p1: cmd.p1,
          p2: cmd.p2,
        });
        expect(decoded.le).toBe(cmd.le);
        expect(decoded.data === undefined ? undefined : hex(decoded.data)).toBe(
          cmd.data === undefined ? undefined : hex(cmd.data),
        );
        const hasData = cmd.data !== undefined;
        const hasLe = cmd.le !== undefined;
        expect(decoded.case).toBe(hasData ? (hasLe ? 4 : 3) : hasLe ? 2 : 1);
        const needsExtended = (cmd.data?.length ?? 0) > 255 || (cmd.le ?? 0) > 256;
        expect(decoded.extended).toBe(decoded.case !== 1 && (forceExtended || needsExtended));
      }),
      { numRuns: propertyRuns(2000) },
    );
  });

  it('decodeResponse(encodeResponse(data, sw)) gives back data and sw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.integer({ min: 0, max: 0xffff }), (data, sw) => {
        const response = decodeResponse(encodeResponse(data, sw));
        expect(hex(response.data)).toBe(hex(data));
        expect([response.sw, response.sw1, response.sw2]).toEqual([sw, sw >> 8, sw & 0xff]);
      }),
      { numRuns: propertyRuns(2000) },
    );
  });

  it('parseTlv(encodeTlv(tree)) gives back the tree', () => {
    fc.assert(
      fc.property(fc.array(tlvTreeArb, { maxLength: 4 }), (trees) => {
        const bytes = encodeTlv(trees);
        const parsed = parseTlv(bytes, { maxDepth: 1000 });
        expect(parsed.map(shape)).toEqual(trees.map(shape));
        expect(hex(encodeTlv(parsed))).toBe(hex(bytes));
      }),
      { numRuns: propertyRuns(2000) },
    );
  });

  it('chainCommand splits into chunks that reassemble the data', () => {
    fc.assert(
      fc.property(smallCommandArb, fc.integer({ min: 1, max: 300 }), (cmd, maxChunk) => {
        const chain = chainCommand(cmd, maxChunk);
        const joined = chain.flatMap((c) => Array.from(c.data ?? []));
        expect(hex(Uint8Array.from(joined))).toBe(hex(cmd.data ?? new Uint8Array(0)));
        chain.forEach((c, i) => {
          const last = i === chain.length - 1;
          expect(c.cla).toBe(last ? cmd.cla : cmd.cla | 0x10);
          expect(c.le).toBe(last ? cmd.le : undefined);
          expect(c.data?.length ?? 0).toBeLessThanOrEqual(maxChunk);
        });
      }),
      { numRuns: propertyRuns(2000) },
    );
  });
});

describe('no input crashes or hangs a decoder', () => {
  it(`decodeCommand on random bytes (${FUZZ_RUNS} runs): a decoded command re-encodes to the same bytes`, () => {
    fc.assert(
      fc.property(shortBytes, (bytes) => {
        const decoded = returnsOrThrowsApduError(() => decodeCommand(bytes));
        if (decoded) expect(hex(encodeCommand(decoded, { extended: decoded.extended }))).toBe(hex(bytes));
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it(`decodeCommand on mutated valid commands (${FUZZ_RUNS} runs)`, () => {
    fc.assert(
      fc.property(
        smallCommandArb,
        fc.boolean(),
        fc.array(mutationArb, { minLength: 1, maxLength: 4 }),
        (cmd, ext, muts) => {
          const bytes = mutate(encodeCommand(cmd, { extended: ext }), muts);
          const decoded = returnsOrThrowsApduError(() => decodeCommand(bytes));
          if (decoded) expect(hex(encodeCommand(decoded, { extended: decoded.extended }))).toBe(hex(bytes));
        },
      ),
      { numRuns: FUZZ_RUNS },
    );
  });

  it(`decodeResponse on random and mutated bytes (${FUZZ_RUNS} runs each)`, () => {
    fc.assert(
      fc.property(shortBytes, (bytes) => {
        const response = returnsOrThrowsApduError(() => decodeResponse(bytes));
        if (response) expect(hex(encodeResponse(response.data, response.sw))).toBe(hex(bytes));
        else expect(bytes.length).toBeLessThan(2);
      }),
      { numRuns: FUZZ_RUNS },
    );
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.array(mutationArb, { minLength: 1, maxLength: 4 }),
        (data, sw, muts) => {
          returnsOrThrowsApduError(() => decodeResponse(mutate(encodeResponse(data, sw), muts)));
        },
      ),
      { numRuns: FUZZ_RUNS },
    );
  });

  it(`parseTlv on random bytes (${FUZZ_RUNS} runs): whatever parses re-parses identically`, () => {
    fc.assert(
      fc.property(shortBytes, (bytes) => {
        const parsed = returnsOrThrowsApduError(() => parseTlv(bytes));
        if (parsed) expect(parseTlv(encodeTlv(parsed)).map(shape)).toEqual(parsed.map(shape));
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it(`parseTlv on mutated valid TLV trees (${FUZZ_RUNS} runs)`, () => {
    fc.assert(
      fc.property(
        fc.array(tlvTreeArb, { maxLength: 3 }),
        fc.array(mutationArb, { minLength: 1, maxLength: 4 }),
        (trees, muts) => {
          const bytes = mutate(encodeTlv(trees), muts);
          const parsed = returnsOrThrowsApduError(() => parseTlv(bytes));
          if (parsed) expect(parseTlv(encodeTlv(parsed)).map(shape)).toEqual(parsed.map(shape));
        },
      ),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('a hostile long-length header does not allocate or hang', () => {
    const start = performance.now();
    const err = returnsOrThrowsApduError(() => parseTlv(fromHex('5A84FFFFFFFF00')));
    expect(err).toBeUndefined();
    expect(performance.now() - start).toBeLessThan(100);
  });
});
