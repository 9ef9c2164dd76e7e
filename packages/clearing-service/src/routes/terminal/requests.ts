/**
 * Terminal requests beside the log: online load authorizations (RELOAD) and shift-close
 * reconciliation. Terminal-signed (http/terminal-request.ts); shift close admits the operator.
 */
import { Capability } from '@huduma/card-applet-spec';
import {
  LoadAuthorizationAnswer,
  LoadAuthorizationRequest,
  ShiftCloseRequest,
  TerminalIdParams,
} from '@huduma/clearing-protocol';
import type { FastifyInstance } from 'fastify';
import { HttpError } from '../../errors';
import { SHIFT_CLOSE_BODY_LIMIT } from '../../http/limits';
import { errorResponses } from '../../http/schemas';
import { issueLoadAuthorization } from '../../loads';
import { reconcileShift } from '../../reconcile';
import { hex, type RouteDeps } from '../deps';

export async function terminalRequestRoutes(api: FastifyInstance, deps: RouteDeps): Promise<void> {
  const { db } = deps;
  const terminalGuard = deps.terminalRequest;

  api.post<{ Body: LoadAuthorizationRequest }>(
    '/v1/load-authorizations',
    {
      ...terminalGuard({ capability: Capability.RELOAD }),
      schema: {
        summary:
          'Online load authorization for RELOAD (146 bytes, card applet v2, signed by the load authority)',
        description:
          'Terminal-signed request (X-Huduma-Certificate/Timestamp/Signature), certificate with the RELOAD capability. source "cash": money taken at the counter, amountCents required. source "topup": a pending mobile-money top-up of this card (topupId); its amount is loaded. SPEC.md §6.10: signed only when the service holds every record of the card up to `counter` (uploaded logs, or the card\'s unsynced ring proofs sent as cardRecords with cardCertificate), else 409 ERR_CARD_NOT_SYNCED. currency: BCD ISO 4217 (default KES 0x0404, the only one loaded).',
        body: LoadAuthorizationRequest,
        response: {
          200: LoadAuthorizationAnswer,
          ...errorResponses(400, 401, 403, 404, 409, 422, 503),
        },
      },
    },
    async (request) => {
      if (!deps.loadAuthority) {
        throw new HttpError(503, 'ERR_LOADS_DISABLED', 'no load-authority key is configured');
      }
      const b = request.body;
      const issued = await issueLoadAuthorization(
        db,
        deps.loadAuthority,
        request.terminal!.terminalId,
        {
          cardNumber: b.cardNumber,
          counter: b.counter,
          challenge: new Uint8Array(Buffer.from(b.challenge, 'hex')),
          terminalSeq: b.terminalSeq,
          terminalNonce: new Uint8Array(Buffer.from(b.terminalNonce, 'hex')),
          source: b.source,
          ...(b.amountCents === undefined ? {} : { amountCents: b.amountCents }),
          ...(b.topupId === undefined ? {} : { topupId: b.topupId }),
          ...(b.loadRef === undefined ? {} : { loadRef: b.loadRef }),
          ...(b.currency === undefined ? {} : { currency: b.currency }),
          ...(b.cardRecords === undefined
            ? {}
            : { cardRecords: b.cardRecords.map((r) => new Uint8Array(Buffer.from(r, 'hex'))) }),
          ...(b.cardCertificate === undefined
            ? {}
            : { cardCertificate: new Uint8Array(Buffer.from(b.cardCertificate, 'hex')) }),
        },
        deps.now(),
        deps.ingest?.trust,
      );
      request.log.info(
        {
          terminalId: request.terminal!.terminalId,
          authorizationId: issued.authorizationId,
          amountCents: issued.amountCents,
          source: b.source,
        },
        'load authorized',
      );
      return {
        authorizationId: issued.authorizationId,
        authorization: hex(issued.authorization),
        amountCents: issued.amountCents,
        loadRef: issued.loadRef,
        time: issued.time,
        topupId: issued.topupId,
        keyId: hex(deps.loadAuthority.keyId),
      };
    },
  );

  api.post<{ Params: { terminalId: string }; Body: ShiftCloseRequest }>(
    '/v1/terminals/:terminalId/shift-close',
    {
      bodyLimit: SHIFT_CLOSE_BODY_LIMIT,
      ...terminalGuard({ matchParam: true, allowOperator: true }),
      schema: {
        summary: 'Shift-close reconciliation: in balance, out of balance (with what differs), or incomplete',
        description:
          "count and amountCents: the shift's sales (sale + recovered-sale, gross, as the terminal's Z report counts them). saleSeqs (optional): the log seqs of those sales, to list which differ.",
        params: TerminalIdParams,
        body: ShiftCloseRequest,
      },
    },
    async (request) => reconcileShift(db, request.params.terminalId, request.body.shiftId, request.body),
  );
}
