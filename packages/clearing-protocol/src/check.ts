import { FormatRegistry, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

export type AnswerCheck<T> = { ok: true; value: T } | { ok: false; path: string; message: string };

/**
 * TypeBox checks no string format it has not been taught. The protocol uses `date-time` (RFC 3339,
 * as the service's Fastify schemas and PostgreSQL timestamps give it): a full date, a time with
 * seconds (fraction optional) and a zone.
 */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;
if (!FormatRegistry.Has('date-time'))
  FormatRegistry.Set('date-time', (value) => RFC3339.test(value) && !Number.isNaN(Date.parse(value)));

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
