/** The page's two languages stay in step, and every engine refusal has words in both. */
import { describe, expect, it } from 'vitest';
import { translate } from '../src/messages/index';
import { en, refusalText, sw, WORDED_REASONS } from '../src/web/i18n';

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('web i18n', () => {
  it('en and sw have the same keys, none empty, with the same placeholders', () => {
    expect(Object.keys(sw).sort()).toEqual(Object.keys(en).sort());
    for (const key of Object.keys(en) as Array<keyof typeof en>) {
      expect(sw[key].trim(), key).not.toBe('');
      expect(placeholders(sw[key]), key).toEqual(placeholders(en[key]));
    }
  });

  it("words every refusal reason in both languages through the counter's one catalog", () => {
    expect(WORDED_REASONS.length).toBeGreaterThan(30);
    for (const reason of WORDED_REASONS) {
      const params = { amountCents: 100, balanceCents: 200, limitCents: 300, triesLeft: 2 };
      const e = refusalText(reason, 'en', params);
      const s = refusalText(reason, 'sw', params);
      // The page shows exactly what the console says.
      expect(e.text, reason).toBe(translate(reason, params, 'en'));
      expect(s.text, reason).toBe(translate(reason, params, 'sw'));
      expect(e.text.length, reason).toBeGreaterThan(10);
      expect(s.text, reason).not.toBe(e.text);
    }
  });

  it('puts the figures in the sentence and falls back for an unknown reason', () => {
    expect(
      refusalText('insufficient-funds', 'sw', { balanceCents: 12_000, amountCents: 50_000 }).text,
    ).toContain('120.00');
    expect(refusalText('wrong-pin', 'en', { triesLeft: 1 }).text).toContain('1 try left');
    expect(refusalText('a-reason-from-a-newer-engine', 'sw').text).toContain('a-reason-from-a-newer-engine');
    expect(refusalText('toString', 'en').text).toContain('Declined');
  });
});
