/**
 * The service's edge: what is refused before a route handler runs, and in which shape.
 *
 * - Content types and sizes are checked from the headers (onRequest), before any body byte is
 *   read: a body of an unsupported type answers 415, a declared Content-Length over the route's
 *   limit 413 naming the limit. A chunked body is cut off by Fastify at the same limit.
 * - Bodies are read as bytes (`request.rawBody`): terminal signatures cover their SHA-256, and
 *   the CBOR of an upload is decoded by the handler only after that hash was checked.
 * - Every refusal, framework-level ones included (413, 415, 404, 429, malformed JSON), answers
 *   `{ error: 'ERR_…', message, field? }` through the one error handler (error-mapper.ts, which
 *   turns framework errors into HttpErrors with frameworkHttpError below); Node-level ones (400,
 *   408, 431) are written by limits.ts's clientErrorHandler in the same shape.
 */
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError } from '../errors';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Media types the route's body may have (default: application/json). */
    contentTypes?: readonly string[];
  }
  interface FastifyRequest {
    rawBody?: Uint8Array;
  }
}

const DEFAULT_CONTENT_TYPES = ['application/json'] as const;

function mediaType(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  return header.split(';', 1)[0]!.trim().toLowerCase() || undefined;
}

/** Whether the request carries a body: a non-zero Content-Length or any Transfer-Encoding. */
function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * Framework errors as HttpError: body too large (413 with the route's limit), unsupported media
 * type (415), malformed JSON and bad Content-Length (400). undefined for anything else.
 */
export function frameworkHttpError(error: unknown, request: FastifyRequest): HttpError | undefined {
  if (error instanceof HttpError) return error;
  const code = (error as FastifyError | undefined)?.code;
  switch (code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return bodyTooLarge(request.routeOptions.bodyLimit);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_TYPE':
      return unsupportedType(request);
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new HttpError(
        400,
        'ERR_CONTENT_LENGTH',
        'the body length differs from Content-Length',
        'header.content-length',
      );
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new HttpError(400, 'ERR_JSON', (error as Error).message, 'body');
    default:
      return undefined;
  }
}

function bodyTooLarge(limit: number): HttpError {
  return new HttpError(
    413,
    'ERR_BODY_TOO_LARGE',
    `the body exceeds this route's limit of ${limit} bytes`,
    'header.content-length',
  );
}

function unsupportedType(request: FastifyRequest): HttpError {
  const allowed = request.routeOptions.config?.contentTypes ?? DEFAULT_CONTENT_TYPES;
  return new HttpError(
    415,
    'ERR_CONTENT_TYPE',
    `send the body as ${allowed.join(' or ')}, not ${mediaType(request.headers['content-type']) ?? 'without a Content-Type'}`,
    'header.content-type',
  );
}

/**
 * Registers the body parsers and the header-only checks on the root instance (call before the
 * routes).
 */
export function registerEdge(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    if (!hasBody(request)) return;
    const allowed = request.routeOptions.config?.contentTypes ?? DEFAULT_CONTENT_TYPES;
    const type = mediaType(request.headers['content-type']);
    if (type === undefined || !allowed.includes(type)) throw unsupportedType(request);
    const declared = request.headers['content-length'];
    if (declared !== undefined) {
      const length = Number(declared);
      if (!/^[0-9]{1,15}$/.test(declared)) {
        throw new HttpError(
          400,
          'ERR_CONTENT_LENGTH',
          'Content-Length is not a number',
          'header.content-length',
        );
      }
      if (length > request.routeOptions.bodyLimit) throw bodyTooLarge(request.routeOptions.bodyLimit);
    }
  });

  // Bodies arrive as bytes under the route's limit (Fastify stops reading at it). JSON is parsed
  // here; CBOR is handed to the route as bytes, decoded after the terminal signature's hash check.
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const bytes = body as Buffer;
    request.rawBody = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
    if (bytes.length === 0) return done(null, undefined);
    try {
      done(null, JSON.parse(bytes.toString('utf8')));
    } catch (error) {
      done(new HttpError(400, 'ERR_JSON', `body is not valid JSON: ${(error as Error).message}`, 'body'));
    }
  });
  app.addContentTypeParser('application/cbor', { parseAs: 'buffer' }, (request, body, done) => {
    const bytes = body as Buffer;
    request.rawBody = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
    done(null, request.rawBody);
  });
}
