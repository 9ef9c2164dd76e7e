import type { Static, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

export type AnswerCheck<T> = { ok: true; value: T } | { ok: false; path: string; message: string };

/**
 * Checks an answer (parsed JSON) against its protocol schema without changing it: a client
 * refuses an answer its code would misread instead of failing somewhere later. Unknown extra
 * fields pass (the service may add fields; clients ignore them).
 */
export function checkAnswer<T extends TSchema>(schema: T, value: unknown): AnswerCheck<Static<T>> {
  if (Value.Check(schema, value)) return { ok: true, value };
  const first = Value.Errors(schema, value).First();
  return {
    ok: false,
    path: first?.path === undefined || first.path === '' ? '/' : first.path,
    message: first?.message ?? 'does not match the schema',
  };
}
