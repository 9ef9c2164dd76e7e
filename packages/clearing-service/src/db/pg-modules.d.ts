// The `pg` entry point cannot be loaded when Node runs with `--conditions import` (as vitest
// workers do with this repository's config): its CommonJS `require('pg-pool')` then resolves to
// pg-pool's ESM wrapper. These are the modules `pg` itself is made of, loaded directly.
declare module 'pg/lib/client' {
  const Client: typeof import('pg').Client;
  export default Client;
}
declare module 'pg-pool' {
  import type { Client, Pool, PoolConfig } from 'pg';

  const PgPool: new (config: PoolConfig & { Client: typeof Client }) => Pool;
  export default PgPool;
}
