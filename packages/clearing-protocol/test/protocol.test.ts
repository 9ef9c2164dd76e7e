/** The wire contract: what the schemas admit, what they refuse, and the answer check clients use. */
import { Value } from '@sinclair/typebox/value';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BatchReceiptAnswer,
  checkAnswer,
  ErrorBody,
  LoadAuthorizationRequest,
  MAX_ID,
  ShiftCloseRequest,
  SignedDenyList,
} from '../src';

const seed = process.env.HUDUMA_SEED === undefined ? Date.now() : Number(process.env.HUDUMA_SEED);

describe('@huduma/clearing-protocol', () => {
  it('admits a well-formed load authorization request and names what is wrong with a bad one', () => {
    const good = {
      cardNumber: '4000000000000001',
      counter: 3,
      challenge: 'ab'.repeat(16),
      terminalSeq: 7,
      terminalNonce: 'cd'.repeat(8),
      source: 'cash',
      amountCents: 500_00,
    };
    expect(Value.Check(LoadAuthorizationRequest, good)).toBe(true);
    expect(Value.Check(LoadAuthorizationRequest, { ...good, extra: 1 })).toBe(false);
    expect(
      Value.Check(LoadAuthorizationRequest, { ...good, cardRecords: Array(33).fill('00'.repeat(130)) }),
    ).toBe(false);
    expect(Value.Check(ShiftCloseRequest, { shiftId: 'S\u0000', count: 1, amountCents: 1 })).toBe(false);
    expect(Value.Check(ShiftCloseRequest, { shiftId: 'S1', count: MAX_ID + 1, amountCents: 1 })).toBe(false);
  });

  it('checks answers without changing them; extra fields pass, wrong types are named', () => {
    const answer = {
      status: 'accepted',
      receiptId: 1,
      terminalId: 'T1',
      heldUpToSeq: 3,
      newRecords: 4,
      duplicateRecords: 0,
      receipt: '00',
      signature: '00',
      keyId: 'k',
      future: 'field',
    };
    expect(checkAnswer(BatchReceiptAnswer, answer)).toEqual({ ok: true, value: answer });
    const bad = checkAnswer(BatchReceiptAnswer, { ...answer, heldUpToSeq: '3' });
    expect(bad).toMatchObject({ ok: false, path: '/heldUpToSeq' });
    expect(checkAnswer(SignedDenyList, undefined).ok).toBe(false);
  });

  it('never throws on any JSON value, and refuses every non-object as an answer (seeded)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const result = checkAnswer(ErrorBody, value);
        if (typeof value !== 'object' || value === null || Array.isArray(value))
          expect(result.ok).toBe(false);
      }),
      { seed, numRuns: 500 },
    );
  });
});

describe('string formats', () => {
  it('checks date-time answers (the service sends RFC 3339 timestamps) and refuses other strings', async () => {
    const { Type } = await import('@sinclair/typebox');
    const schema = Type.Object({ at: Type.String({ format: 'date-time' }) });
    expect(checkAnswer(schema, { at: '2026-11-30T21:05:36.123Z' }).ok).toBe(true);
    expect(checkAnswer(schema, { at: '2026-11-30T21:05:36+03:00' }).ok).toBe(true);
    expect(checkAnswer(schema, { at: 'yesterday' }).ok).toBe(false);
    expect(checkAnswer(schema, { at: '2026-13-45T99:99:99Z' }).ok).toBe(false);
  });
});
