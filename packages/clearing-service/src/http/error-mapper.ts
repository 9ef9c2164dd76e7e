/**
 * The one place errors become HTTP answers, in one shape: `{ error: 'ERR_…', message, field? }`
 * (plus `seq` on upload refusals). Typed errors keep their status; framework refusals of the
 * edge (413 naming the route's limit, 415, 429, malformed JSON; edge.ts) keep their typed codes;
 * schema violations name the field; a database or codec error that still escapes the schemas is
 * the client's bad input, not a crash, so it becomes a typed 4xx; storage that cannot write is
 * 503 with Retry-After (the terminal retries later, and the rollback left nothing half-stored).
 * Only genuine bugs are 500, and they are logged. Node-level refusals (malformed HTTP, 408, 431)
 * never reach Fastify: limits.ts's clientErrorHandler writes them in the same shape.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isConnectionLost } from '../db/postgres-hosts';
import { ClearingError, HttpError } from '../errors';
import { UploadRejected } from '../ingest';
import { frameworkHttpError } from './edge';

/** Seconds a client should wait before retrying when storage cannot write. */
export const STORAGE_RETRY_AFTER_S = 60;

export interface ErrorBody {
  error: string;
  message: string;
  field?: string;
  seq?: number;
}

type AjvError = { instancePath: string; params?: Record<string, unknown>; keyword: string; message?: string };
type WithValidation = { validation?: AjvError[]; validationContext?: string };

const CONTEXT_PREFIX: Record<string, string> = {
  body: 'body',
  querystring: 'query',
  params: 'params',
  headers: 'header',
};

/** `body.TransID`, `query.since`, `params.receiptId`, `body.saleSeqs.3`. */
export function validationField(error: WithValidation): string | undefined {
  const first = error.validation?.[0];
  if (!first) return undefined;
  const prefix = CONTEXT_PREFIX[error.validationContext ?? ''] ?? error.validationContext ?? 'request';
  const path = first.instancePath
    .split('/')
    .filter((p) => p !== '')
    .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'));
  const extra =
    (first.params?.missingProperty as string | undefined) ??
    (first.params?.additionalProperty as string | undefined);
  if (extra !== undefined) path.push(extra);
  return [prefix, ...path].join('.');
}

/** SQLSTATEs and errnos that mean "storage cannot take writes now", not "bad request". */
const STORAGE_SQLSTATES = new Set(['53100', '53000', '53200', '58030', '25006', '57P03']);
const STORAGE_ERRNOS = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EIO']);

export function isStorageError(error: unknown): boolean {
  let e: unknown = error;
  for (let depth = 0; e && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (STORAGE_SQLSTATES.has(code) || STORAGE_ERRNOS.has(code))) return true;
    // Emscripten file-system errors (PGlite's WASM build) carry the errno number: 28 is ENOSPC.
    if ((e as { errno?: unknown }).errno === 28 && (e as Error).name === 'ErrnoError') return true;
    const message = (e as Error).message;
    if (
      typeof message === 'string' &&
      /No space left on device|could not extend file|disk full/i.test(message)
    ) {
      return true;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** A PostgreSQL data exception (22xxx) or integrity violation (23xxx), both backends. */
function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/**
 * The HTTP answer for an error, and whether it is a bug to log as one. With the request,
 * framework errors are mapped as the edge names them (the route's body limit and media types).
 */
export function mapError(
  error: unknown,
  request?: FastifyRequest,
): { status: number; body: ErrorBody; bug?: boolean } {
  if (request !== undefined && !(error instanceof ClearingError)) {
    const edge = frameworkHttpError(error, request);
    if (edge) return mapError(edge);
  }
  // Every error class declares its status and code (errors.ts); 500 is left for bugs below.
  if (error instanceof ClearingError && error.statusCode !== 500) {
    return {
      status: error.statusCode,
      body: {
        error: error.code,
        message: error.message,
        ...(error.field ? { field: error.field } : {}),
        ...(error instanceof UploadRejected && error.seq !== undefined ? { seq: error.seq } : {}),
      },
    };
  }
  const v = error as WithValidation & Error;
  if (v.validation) {
    const field = validationField(v);
    return {
      status: 400,
      body: { error: 'ERR_VALIDATION', message: v.message, ...(field ? { field } : {}) },
    };
  }
  if (isStorageError(error) || isConnectionLost(error)) {
    return {
      status: 503,
      body: { error: 'ERR_STORAGE_UNAVAILABLE', message: 'storage cannot take writes now; retry later' },
    };
  }
  const state = sqlState(error);
  if (state?.startsWith('22')) {
    // Data exception (out of range, NUL in text, bad date…): a value the schemas let through.
    const column = (error as { column?: string }).column;
    return {
      status: 400,
      body: {
        error: 'ERR_VALUE_OUT_OF_RANGE',
        message: `a value cannot be stored (SQLSTATE ${state})`,
        ...(column ? { field: column } : {}),
      },
    };
  }
  if (state?.startsWith('23')) {
    const constraint = (error as { constraint?: string }).constraint;
    return {
      status: 409,
      body: {
        error: 'ERR_CONFLICT',
        message: `the request conflicts with stored data${constraint ? ` (${constraint})` : ''}`,
      },
    };
  }
  if (error instanceof ClearingError) {
    return { status: 500, body: { error: error.code, message: error.message }, bug: true };
  }
  const f = error as FastifyError;
  if (typeof f.statusCode === 'number' && f.statusCode >= 400 && f.statusCode < 500) {
    const code =
      f.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? 'ERR_BODY_TOO_LARGE'
        : f.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? 'ERR_CONTENT_TYPE'
          : 'ERR_REQUEST';
    return { status: f.statusCode, body: { error: code, message: f.message } };
  }
  return { status: 500, body: { error: 'ERR_INTERNAL', message: 'internal error' }, bug: true };
}

/**
 * Routes answering a payment gateway add Daraja's fields, so the gateway sees a refusal
 * (ResultCode ≠ 0) and not only an HTTP status: `config: { daraja: true }`.
 */
declare module 'fastify' {
  interface FastifyContextConfig {
    daraja?: boolean;
  }
}

/** Daraja C2B result codes for what was wrong with a payment notification. */
function darajaResultCode(body: ErrorBody): string {
  if (body.field === 'body.BillRefNumber') return 'C2B00012'; // invalid account number
  if (body.field === 'body.TransAmount') return 'C2B00013'; // invalid amount
  if (body.field === 'body.MSISDN') return 'C2B00011'; // invalid MSISDN
  return 'C2B00016'; // other error
}

/**
 * Writes an error answer. The body is serialized here, bypassing the routes' response schemas,
 * so `field` and `seq` always reach the client. A refused body is not buffered: Node discards
 * the rest as it arrives. Fastify asks to close the connection after a body error; closing with
 * unread data would make the kernel reset it while the client is still sending, and the client
 * could lose the answer, so that `Connection: close` is removed.
 */
function sendError(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  body: ErrorBody,
): FastifyReply {
  if (status === 503 && body.error === 'ERR_STORAGE_UNAVAILABLE') {
    void reply.header('retry-after', String(STORAGE_RETRY_AFTER_S));
  }
  const daraja = request.routeOptions?.config?.daraja
    ? { ResultCode: darajaResultCode(body), ResultDesc: body.message }
    : {};
  reply.removeHeader('connection');
  return reply
    .status(status)
    .type('application/json; charset=utf-8')
    .send(JSON.stringify({ ...body, ...daraja }));
}

/** Sends an HttpError in the service's error shape (for code outside the error handler). */
export function sendHttpError(request: FastifyRequest, reply: FastifyReply, error: HttpError): FastifyReply {
  const { status, body } = mapError(error);
  return sendError(request, reply, status, body);
}

/**
 * For Fastify's `frameworkErrors` option: errors the router raises before any route runs (a URL
 * that does not decode, a path parameter longer than the router allows) get the same shape.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    sendError(request, reply, 414, { error: 'ERR_URL_TOO_LONG', message: 'a path parameter is too long' });
  } else if (error.code === 'FST_ERR_BAD_URL') {
    sendError(request, reply, 400, { error: 'ERR_BAD_URL', message: 'the URL does not decode' });
  } else {
    const { status, body } = mapError(error, request);
    sendError(request, reply, status, body);
  }
}

/** The one error handler and the 404 of the app (call on the root instance, before the routes). */
export function installErrorMapper(app: FastifyInstance): void {
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const { status, body, bug } = mapError(error, request);
    if (bug) request.log.error({ err: error }, 'unexpected error');
    else if (error instanceof UploadRejected) {
      request.log.warn({ code: body.error, seq: body.seq, reason: body.message }, 'upload refused');
    } else if (status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ code: body.error, field: body.field }, 'request refused');
    return sendError(request, reply, status, body);
  });
  app.setNotFoundHandler((request, reply) =>
    sendHttpError(
      request,
      reply,
      new HttpError(
        404,
        'ERR_NOT_FOUND',
        `no route ${request.method} ${request.url.split('?', 1)[0]}`,
        'url',
      ),
    ),
  );
}
