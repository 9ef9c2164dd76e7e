/**
 * The central error mapper (src/http/error-mapper.ts): what still escapes the schemas is mapped
 * by kind, never to a bare 500. Database errors are shaped as both drivers raise them (pg and
 * PGlite give a DatabaseError with the SQLSTATE in `code`).
 */
import { describe, expect, it } from 'vitest';
import {
  ConflictError,
  HttpError,
  InputError,
  MerkleError,
  NotFoundError,
  UnprocessableError,
} from '../src/errors';
import { mapError } from '../src/http/error-mapper';
import { UploadRejected } from '../src/ingest';

const dbError = (code: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(`database says ${code}`), { code, ...extra });

describe('error mapper', () => {
  it('keeps typed errors: status, stable code, field, and seq on upload refusals', () => {
    expect(mapError(new HttpError(422, 'ERR_X', 'm', 'body.x'))).toEqual({
      status: 422,
      body: { error: 'ERR_X', message: 'm', field: 'body.x' },
    });
    expect(mapError(new UploadRejected(422, 'ERR_RECORD_CHAIN', 'm', 12))).toEqual({
      status: 422,
      body: { error: 'ERR_RECORD_CHAIN', message: 'm', seq: 12 },
    });
    // Each error class declares its status: no table of codes in the mapper.
    expect(mapError(new InputError('ERR_AMOUNT', 'm')).status).toBe(400);
    expect(mapError(new NotFoundError('ERR_TOPUP_NOT_FOUND', 'm')).status).toBe(404);
    expect(mapError(new ConflictError('ERR_TOPUP_CONFLICT', 'm')).status).toBe(409);
    expect(mapError(new UnprocessableError('ERR_CARD_RECORD_INVALID', 'm')).status).toBe(422);
    expect(mapError(new MerkleError('ERR_MERKLE_RANGE', 'm')).status).toBe(400);
    expect(mapError(new MerkleError('ERR_MERKLE_STORE', 'm'))).toMatchObject({ status: 500, bug: true });
  });

  it('names the field of a schema violation', () => {
    const error = Object.assign(new Error('querystring/since must be <= 9007199254740991'), {
      validation: [{ instancePath: '/since', keyword: 'maximum', params: {} }],
      validationContext: 'querystring',
    });
    expect(mapError(error)).toEqual({
      status: 400,
      body: { error: 'ERR_VALIDATION', message: error.message, field: 'query.since' },
    });
    const missing = Object.assign(new Error('body must have required property TransID'), {
      validation: [{ instancePath: '', keyword: 'required', params: { missingProperty: 'TransID' } }],
      validationContext: 'body',
    });
    expect(mapError(missing).body.field).toBe('body.TransID');
  });

  it('maps data exceptions to 400, integrity violations to 409, a full or read-only disk to 503', () => {
    expect(mapError(dbError('22003'))).toMatchObject({
      status: 400,
      body: { error: 'ERR_VALUE_OUT_OF_RANGE' },
    });
    expect(mapError(dbError('22021', { column: 'reason' })).body.field).toBe('reason');
    expect(mapError(dbError('22P05')).status).toBe(400);
    expect(mapError(dbError('23503', { constraint: 'bills_service_code_fkey' }))).toMatchObject({
      status: 409,
      body: { error: 'ERR_CONFLICT' },
    });
    for (const code of ['53100', '25006', '58030']) {
      expect(mapError(dbError(code))).toMatchObject({
        status: 503,
        body: { error: 'ERR_STORAGE_UNAVAILABLE' },
      });
    }
    const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    expect(mapError(enospc).status).toBe(503);
    expect(mapError(new Error('wrapped', { cause: enospc })).status).toBe(503);
  });

  it('leaves genuine bugs at 500, flagged for the log, with no detail for the client', () => {
    expect(mapError(new TypeError('x is undefined'))).toEqual({
      status: 500,
      body: { error: 'ERR_INTERNAL', message: 'internal error' },
      bug: true,
    });
  });
});
