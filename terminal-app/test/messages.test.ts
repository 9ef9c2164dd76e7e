import { NOTICE_KEYS, REFUSAL_REASONS } from '@huduma/terminal';
import fc from 'fast-check';
import { describe, expect, it, onTestFailed } from 'vitest';
import { CATALOGS, LANGUAGES, type MessageKey, translate } from '../src/messages/index';

const SEED = Number(process.env.HUDUMA_SEED ?? Date.now() % 2 ** 31);
const ENGINE_KEYS: readonly string[] = [...REFUSAL_REASONS, ...NOTICE_KEYS];

describe('message catalogs', () => {
  it('English and Kiswahili have the same keys: exactly the reasons and notices the engine can raise', () => {
    const en = Object.keys(CATALOGS.en).sort();
    const sw = Object.keys(CATALOGS.sw).sort();
    expect(sw).toEqual(en);
    expect(en).toEqual([...ENGINE_KEYS].sort());
  });

  it('formats amounts and dates for Kenya in both languages', () => {
    const p = { amountCents: 105_000, limitCents: 500_000 };
    expect(translate('per-sale-limit', p, 'en')).toBe(
      "Amount KES 1,050.00 is above this terminal's offline limit of KES 5,000.00 per sale.",
    );
    expect(translate('per-sale-limit', p, 'sw')).toContain('KES 1,050.00');
    expect(translate('per-sale-limit', p, 'sw')).toContain('KES 5,000.00');
    // 2026-01-31 22:30 UTC is 1 February in Nairobi (UTC+3).
    const expiredAt = Date.UTC(2026, 0, 31, 22, 30);
    expect(translate('terminal-certificate-expired', { expiredAt }, 'en')).toMatch(/1 Feb 2026/);
    expect(translate('terminal-certificate-expired', { expiredAt }, 'sw')).toMatch(/2026/);
    expect(translate('wrong-pin', { triesLeft: 1 }, 'en')).toContain('1 try left');
    expect(translate('wrong-pin', { triesLeft: 2 }, 'sw')).toContain('majaribio 2 yamebaki');
    expect(translate('recovered-completed', { op: 'debit', amountCents: 25_000 }, 'en')).toBe(
      'The earlier sale of KES 250.00 went through — receipt below.',
    );
  });

  it('card refusals say that nothing was taken, in both languages', () => {
    const reasons = [
      'no-cvm-limit-reached',
      'puk-blocked',
      'sync-required',
      'currency-mismatch',
      'secure-messaging',
      'card-changed',
    ] as const;
    for (const reason of reasons) {
      expect(translate(reason, {}, 'en')).toMatch(/no payment was taken|NOT taken/i);
      expect(translate(reason, {}, 'sw')).toMatch(/hakuna malipo|HAYAKUCHUKULIWA/i);
    }
  });

  it('storage refusals say whether the card was charged, in both languages', () => {
    for (const lang of LANGUAGES) {
      for (const reason of ['storage-full', 'storage-failed'] as const) {
        const before = translate(reason, { stage: 'before-charge' }, lang);
        const charged = translate(reason, { stage: 'charged' }, lang);
        expect(before).not.toBe(charged);
        expect(charged).toMatch(lang === 'en' ? /do NOT charge again/ : /USITOZE tena/);
      }
    }
  });

  it('never throws and never answers empty, whatever the key, params or language', async () => {
    onTestFailed(() => console.error(`messages test failed with HUDUMA_SEED=${SEED}`));
    const hostileNumber = fc.oneof(
      fc.double(),
      fc.integer(),
      fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -1, 2 ** 53, 8.64e15 + 1),
    );
    const params = fc.record(
      {
        amountCents: hostileNumber,
        limitCents: hostileNumber,
        balanceCents: hostileNumber,
        spentCents: hostileNumber,
        triesLeft: hostileNumber,
        expiredAt: hostileNumber,
        offlineMs: hostileNumber,
        count: hostileNumber,
        terminalSeq: hostileNumber,
        detail: fc.string(),
        maskedCardNumber: fc.string(),
        stage: fc.constantFrom('before-charge', 'charged', 'settle'),
        op: fc.constantFrom('debit', 'undebit', 'reload'),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(
        fc.oneof(fc.constantFrom(...ENGINE_KEYS), fc.string()),
        params,
        fc.constantFrom('en', 'sw', 'fr'),
        (key, p, lang) => {
          const text = translate(key as MessageKey, p as never, lang as 'en');
          expect(typeof text).toBe('string');
          expect(text.length).toBeGreaterThan(0);
          if (!ENGINE_KEYS.includes(key)) expect(text).toBe(key || '?');
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
  });
});
