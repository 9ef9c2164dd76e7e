/**
 * Public routes, no credential: health, the service key, the Merkle tree and the catalog. Nothing
 * here names a card holder's payment. (The signed deny list is a terminal route: the service
 * records which terminal fetched which version, routes/terminal/deny-list.ts.)
 */
import {
  Catalog,
  Health,
  InclusionProof,
  MerkleInclusionProofQuery,
  ServiceKey,
  SignedTreeHead,
} from '@huduma/clearing-protocol';
import type { FastifyInstance } from 'fastify';
import { checkpointTreeHead } from '../checkpoints';
import { errorResponses } from '../http/schemas';
import { currentTreeHead, inclusionProof } from '../merkle';
import { listCatalog } from '../store';
import { hex, type RouteDeps } from './deps';

export async function publicRoutes(api: FastifyInstance, deps: RouteDeps): Promise<void> {
  const { db, signer, now } = deps;

  const healthSchema = Health;
  api.get(
    '/healthz',
    {
      schema: {
        summary: 'Liveness, database reachability and whether storage can take writes (503 when not)',
        description:
          'storage.writable comes from a real write probe (cached for 2 s). 503 with status "degraded" when storage cannot write: uploads are refused with 503 ERR_STORAGE_UNAVAILABLE until it can.',
        response: { 200: healthSchema, 503: healthSchema },
      },
    },
    async (_request, reply) => {
      const storage = await deps.storage.check();
      const treeSize = await currentTreeHead(db)
        .then((h) => h.treeSize)
        .catch(() => null);
      const ok = storage.writable && treeSize !== null;
      return reply.status(ok ? 200 : 503).send({
        status: ok ? 'ok' : 'degraded',
        database: db.kind,
        storage: {
          writable: storage.writable,
          ...(storage.detail === undefined ? {} : { detail: storage.detail }),
          checkedAt: new Date(storage.checkedAtMs).toISOString(),
        },
        treeSize,
        keyId: signer.keyId,
      });
    },
  );

  api.get(
    '/v1/service-key',
    {
      schema: {
        summary: 'The clearing service P-256 public key that signs deny lists and tree heads',
        response: {
          200: ServiceKey,
        },
      },
    },
    async () => ({
      keyId: signer.keyId,
      publicKey: hex(signer.publicKey),
      algorithm: 'ECDSA-P256-SHA256-RAW',
    }),
  );

  api.get(
    '/v1/merkle/checkpoint',
    {
      schema: {
        summary: 'Signed head of the Merkle tree over accepted records (signs the current head if new)',
        response: { 200: SignedTreeHead },
      },
    },
    async () => {
      const sth = await checkpointTreeHead(db, signer, now);
      return {
        treeSize: sth.treeSize,
        rootHash: hex(sth.rootHash),
        timestampMs: sth.timestampMs,
        keyId: signer.keyId,
        signature: hex(sth.signature),
      };
    },
  );

  api.get<{ Querystring: { leafIndex: number; treeSize?: number } }>(
    '/v1/merkle/inclusion-proof',
    {
      schema: {
        summary: 'RFC 9162 inclusion proof of a leaf in the tree of a given size (default: current)',
        querystring: MerkleInclusionProofQuery,
        response: {
          200: InclusionProof,
          ...errorResponses(400),
        },
      },
    },
    async (request) => {
      const p = await inclusionProof(db, request.query.leafIndex, request.query.treeSize);
      return {
        leafIndex: request.query.leafIndex,
        treeSize: p.treeSize,
        leafHash: hex(p.leafHash),
        proof: p.proof.map(hex),
      };
    },
  );

  api.get(
    '/v1/catalog',
    {
      schema: {
        summary: 'Government services payable with the card, with fees in cents',
        response: {
          200: Catalog,
        },
      },
    },
    async () => ({ currency: 'KES', services: await listCatalog(db) }),
  );
}
