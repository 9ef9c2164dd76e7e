export { type ClearingServiceOptions, createClearingService, kesToCents } from './app';
export {
  bearerToken,
  rejectAllTerminals,
  secretsEqual,
  type TerminalAuthenticator,
  type TerminalIdentity,
} from './auth';
export { CATALOG_SEED, type CatalogEntry } from './catalog-seed';
export {
  checkpointTreeHead,
  latestSignedTreeHead,
  type SignedTreeHead,
  signedTreeHeadAt,
} from './checkpoints';
export { appliedMigrations, MIGRATIONS, type Migration, migrate } from './db/migrations';
export { openPgliteDb } from './db/pglite';
export { openPostgresDb } from './db/postgres';
export type { Db, Queryable, Row, SqlParam } from './db/types';
export {
  ClearingError,
  DbValueError,
  InputError,
  MerkleError,
  MigrationError,
  SignerError,
} from './errors';
export {
  appendLeaves,
  currentTreeHead,
  EMPTY_ROOT,
  hashChildren,
  hashLeaf,
  inclusionProof,
  rootFromLeaves,
  type TreeHead,
  treeRootAt,
  verifyInclusion,
} from './merkle';
export type { RecordVerdict, RecordVerifier, VerifiedRecord } from './record-verifier';
export { type RunningService, type ServeOptions, serve } from './server';
export {
  DENY_LIST_DOMAIN,
  type DenyListDelta,
  encodeDenyListDelta,
  encodeTreeHead,
  packCardNumberBcd,
  type SignedTreeHeadBody,
  TREE_HEAD_DOMAIN,
} from './signed-messages';
export {
  generateSigner,
  keyIdOf,
  keyObjectSigner,
  loadOrCreateFileSigner,
  type Signer,
  verifyP256,
} from './signer';
export * from './store';
