/**
 * Reloads rule: a RELOAD record must match a load authorization the service issued (same card,
 * terminal, terminal seq, amount and reference, for the counter after the one authorised); an
 * unmatched reload is flagged with a critical alert. Matches are found before the records are
 * stored (they decide flags) and consumed after: the authorization is spent and its top-up
 * marked loaded.
 */
import type { VerifiedRecord } from '../../record-verifier';
import type { IngestRule, IngestStep } from '../step';

type AuthorizationMatch = { authorization_id: number; topup_id: number | null };

const isReload = (r: VerifiedRecord) => r.decoded.type === 'reload';

/** Matches found by `check`, for `apply` of the same upload. */
const matchesOf = new WeakMap<IngestStep, Map<VerifiedRecord, AuthorizationMatch>>();

export const reloadsRule: IngestRule = {
  name: 'reloads',
  async check(step) {
    const { tx, terminalId, flags } = step;
    const matches = new Map<VerifiedRecord, AuthorizationMatch>();
    matchesOf.set(step, matches);
    // Filtered first: a for-of with an await in it made an iterator result per record of every upload.
    for (const r of step.live.filter(isReload)) {
      if (!r.card) continue;
      const rows = await tx.query<{
        authorization_id: number;
        topup_id: number | null;
        amount_cents: number;
        load_ref: string | null;
        card_counter: number | null;
        status: string;
      }>(
        `SELECT authorization_id, topup_id, amount_cents, load_ref, card_counter, status FROM load_authorizations
         WHERE card_number = $1 AND terminal_id = $2 AND terminal_seq = $3 ORDER BY authorization_id`,
        [r.card.cardNumber, terminalId, r.card.terminalSeq],
      );
      const match = rows.find(
        (a) =>
          a.status === 'issued' &&
          a.amount_cents === r.card!.amountCents &&
          a.load_ref === r.card!.reference &&
          a.card_counter !== null &&
          a.card_counter + 1 === r.card!.counter,
      );
      if (match) {
        matches.set(r, match);
      } else if (!flags.has(r)) {
        flags.set(r, 'reload-unmatched');
        await step.alert({
          kind: 'reload-without-authorization',
          severity: 'critical',
          terminalId,
          cardNumber: r.card.cardNumber,
          details: {
            seq: r.seq,
            counter: r.card.counter,
            amountCents: r.card.amountCents,
            loadRef: r.card.reference,
            authorizationsForThisRequest: rows.length,
          },
        });
      }
    }
  },
  async apply(step) {
    const { tx, terminalId, flags } = step;
    const matches = matchesOf.get(step);
    if (!matches || matches.size === 0) return;
    for (const r of step.live.filter(isReload)) {
      if (flags.get(r) === 'reload-unmatched') continue;
      const match = matches.get(r);
      if (!match) continue;
      await tx.query(
        `UPDATE load_authorizations SET status = 'consumed',
           consumed_record_id = (SELECT record_id FROM accepted_records WHERE terminal_id = $1 AND seq = $2)
         WHERE authorization_id = $3`,
        [terminalId, r.seq, match.authorization_id],
      );
      if (match.topup_id !== null) {
        await tx.query(`UPDATE pending_topups SET status = 'loaded' WHERE topup_id = $1`, [match.topup_id]);
      }
    }
  },
};
