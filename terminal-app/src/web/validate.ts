/**
 * Schemas at the edge of the page's local API: every body is checked field by field before the
 * engine sees it, with the same rules as the CLI (KES amounts with at most two decimals, bill
 * references the card can carry, PINs of 4 to 8 digits). A bad value becomes a WebInputError
 * naming the field; it never reaches the engine, so nothing changes.
 */
import { normalizeBillRef, parseAmount } from '@huduma/terminal';
import { WEB_LANGUAGES, type WebLanguage } from './i18n';

/** A request the API refuses (400, or 413/415 for the body itself); `field` names what is wrong. */
export class WebInputError extends Error {
  readonly code = 'ERR_WEB_INPUT';
  constructor(
    readonly field: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

type Body = Record<string, unknown>;

function object(body: unknown): Body {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new WebInputError('body', 'must be a JSON object');
  return body as Body;
}

function only(body: Body, allowed: readonly string[]): void {
  for (const key of Object.keys(body))
    if (!allowed.includes(key)) throw new WebInputError(key, 'is not a field of this request');
}

function text(body: Body, field: string, max = 64): string {
  const v = body[field];
  if (typeof v !== 'string') throw new WebInputError(field, 'is required (text)');
  if (v.length > max) throw new WebInputError(field, `must be at most ${max} characters`);
  return v;
}

/** KES with at most two decimals, as text ("250", "250.00"): never a float. */
function amount(body: Body, field: string): { text: string; cents: number } {
  const v = text(body, field, 20);
  try {
    return { text: v.trim(), cents: parseAmount(v) };
  } catch (err) {
    throw new WebInputError(field, (err as Error).message);
  }
}

function reference(body: Body, field: string): string {
  const v = text(body, field, 40);
  try {
    return normalizeBillRef(v);
  } catch {
    throw new WebInputError(field, 'must be 1 to 16 printable characters (letters, digits, signs)');
  }
}

export type SaleRequest =
  | { kind: 'service'; serviceCode: number; billRef: string }
  | { kind: 'amount'; amount: string; amountCents: number; billRef: string };

export function parseSaleRequest(raw: unknown): SaleRequest {
  const body = object(raw);
  only(body, ['serviceCode', 'amount', 'billRef']);
  const hasService = body.serviceCode !== undefined;
  const hasAmount = body.amount !== undefined;
  if (hasService === hasAmount) throw new WebInputError('amount', 'give a service or an amount, not both');
  if (hasService) {
    const code = body.serviceCode;
    if (typeof code !== 'number' || !Number.isInteger(code) || code < 1 || code > 0xffff)
      throw new WebInputError('serviceCode', 'must be a service code from the catalog');
    return { kind: 'service', serviceCode: code, billRef: reference(body, 'billRef') };
  }
  const a = amount(body, 'amount');
  return { kind: 'amount', amount: a.text, amountCents: a.cents, billRef: reference(body, 'billRef') };
}

export interface ReloadRequest {
  amountCents: number;
  reference?: string;
}

export function parseReloadRequest(raw: unknown): ReloadRequest {
  const body = object(raw);
  only(body, ['amount', 'reference']);
  const { cents } = amount(body, 'amount');
  if (body.reference === undefined || body.reference === '') return { amountCents: cents };
  return { amountCents: cents, reference: reference(body, 'reference') };
}

/** The PIN itself is never put in an error message, a log line or the live state. */
export function parsePinRequest(raw: unknown): { pin: string } | { cancel: true } {
  const body = object(raw);
  only(body, ['pin', 'cancel']);
  if (body.cancel === true && body.pin === undefined) return { cancel: true };
  const pin = body.pin;
  if (typeof pin !== 'string' || !/^\d{4,8}$/.test(pin))
    throw new WebInputError('pin', 'must be 4 to 8 digits');
  return { pin };
}

export function parseDemoCardRequest(raw: unknown, cardCount: number): { card: number } {
  const body = object(raw);
  only(body, ['card']);
  const card = body.card;
  if (typeof card !== 'number' || !Number.isInteger(card) || card < 0 || card >= cardCount)
    throw new WebInputError('card', `must be a demo card number 0..${cardCount - 1}`);
  return { card };
}

export function parseDemoPullRequest(raw: unknown): { afterCardProcessed: boolean } {
  const body = object(raw);
  only(body, ['afterCardProcessed']);
  if (typeof body.afterCardProcessed !== 'boolean')
    throw new WebInputError('afterCardProcessed', 'must be true or false');
  return { afterCardProcessed: body.afterCardProcessed };
}

/** `{}` (the last receipt) or `{seq}` (a receipt of this session by its terminal sequence). */
export function parseReprintRequest(raw: unknown): { seq?: number } {
  const body = object(raw);
  only(body, ['seq']);
  const seq = body.seq;
  if (seq === undefined) return {};
  if (typeof seq !== 'number' || !Number.isInteger(seq) || seq < 1 || seq > 0xffff_ffff)
    throw new WebInputError('seq', 'must be a receipt number');
  return { seq };
}

export function parseEmptyRequest(raw: unknown): void {
  only(object(raw), []);
}

export function parseLanguage(value: string | null): WebLanguage {
  if (value === null) return 'en';
  if (!(WEB_LANGUAGES as readonly string[]).includes(value))
    throw new WebInputError('lang', `must be one of ${WEB_LANGUAGES.join(', ')}`);
  return value as WebLanguage;
}
