/**
 * The append-only audit trail: who did what to which subject, when and why. Written in the same
 * transaction as the change it records, so a change without its entry cannot be committed.
 */
import type { Queryable } from '../db/types';

export interface AuditEntry {
  actor: string;
  action: 'deny-list-add' | 'deny-list-remove' | 'alert-triage' | 'merchant-onboard' | 'account-create';
  subject: string;
  reason: string;
  details?: Record<string, unknown>;
}

export async function appendAudit(q: Queryable, e: AuditEntry): Promise<number> {
  const rows = await q.query<{ entry_id: number }>(
    `INSERT INTO audit_trail (actor, action, subject, reason, details) VALUES ($1, $2, $3, $4, $5::jsonb)
     RETURNING entry_id`,
    [e.actor, e.action, e.subject, e.reason, JSON.stringify(e.details ?? {})],
  );
  return rows[0]!.entry_id;
}

export async function listAudit(
  q: Queryable,
  opts: { afterId: number; limit: number },
): Promise<Array<AuditEntry & { entryId: number; createdAt: string }>> {
  const rows = await q.query<{
    entry_id: number;
    actor: string;
    action: AuditEntry['action'];
    subject: string;
    reason: string;
    details: Record<string, unknown>;
    created_at: Date;
  }>(
    `SELECT entry_id, actor, action, subject, reason, details, created_at FROM audit_trail
     WHERE entry_id > $1 ORDER BY entry_id LIMIT $2`,
    [opts.afterId, opts.limit],
  );
  return rows.map((r) => ({
    entryId: r.entry_id,
    actor: r.actor,
    action: r.action,
    subject: r.subject,
    reason: r.reason,
    details: r.details,
    createdAt: r.created_at.toISOString(),
  }));
}
