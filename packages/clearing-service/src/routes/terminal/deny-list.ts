/**
 * The signed deny list, fetched by each terminal with a signed request (http/terminal-request.ts)
 * so the service knows who holds which version. The fetch is recorded once the answer is built
 * and signed; a refused request (no or bad signature, replayed nonce, version ahead) records nothing.
 */
import { DenyListSinceQuery, SignedDenyList, TerminalIdParams } from '@huduma/clearing-protocol';
import type { FastifyInstance } from 'fastify';
import { recordDenyListFetch } from '../../deny-list-fetches';
import { HttpError } from '../../errors';
import { errorResponses } from '../../http/schemas';
import { encodeDenyListDelta } from '../../signed-messages';
import { denyListSince } from '../../store';
import { hex, type RouteDeps } from '../deps';

export async function terminalDenyListRoutes(api: FastifyInstance, deps: RouteDeps): Promise<void> {
  const { db, signer, now } = deps;

  api.get<{ Params: { terminalId: string }; Querystring: { since: number } }>(
    '/v1/terminals/:terminalId/deny-list',
    {
      ...deps.terminalRequest({ matchParam: true }),
      schema: {
        summary: 'Deny-list changes since a version, signed by the service key (the fetch is recorded)',
        description:
          'Terminal-signed request (X-Huduma-Certificate/Timestamp/Nonce/Signature); the service records the version handed to the terminal and when (operators see the terminals behind). signature = ECDSA P-256 (raw r||s, hex) over SHA-256 of the canonical encoding "HUDUMA-CLEARING/DENY-LIST/v1" 0x00 | u64 sinceVersion | u64 version | u64 issuedAtMs | u32 count | count × (u64 version | 8-byte BCD card number | u8 action: 1 add, 2 remove), big-endian.',
        params: TerminalIdParams,
        querystring: DenyListSinceQuery,
        response: {
          200: SignedDenyList,
          ...errorResponses(400, 401, 403, 409),
        },
      },
    },
    async (request) => {
      const { version, entries } = await denyListSince(db, request.query.since);
      if (request.query.since > version) {
        throw new HttpError(
          400,
          'ERR_DENY_LIST_VERSION',
          `version ${request.query.since} is newer than the current deny-list version ${version}`,
          'query.since',
        );
      }
      const issuedAtMs = now();
      const delta = { sinceVersion: request.query.since, version, issuedAtMs, entries };
      const signature = await signer.sign(encodeDenyListDelta(delta));
      await recordDenyListFetch(db, {
        terminalId: request.params.terminalId,
        version,
        fetchedAtMs: issuedAtMs,
      });
      return { ...delta, keyId: signer.keyId, signature: hex(signature) };
    },
  );
}
