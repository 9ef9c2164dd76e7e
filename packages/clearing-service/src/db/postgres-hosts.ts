/**
 * Several PostgreSQL servers behind one connection string, as libpq writes it:
 * `postgres://user@host1:5432,host2:5433/huduma`. The service writes only to the primary, so it
 * connects to the first host that accepts a connection and is not in recovery (libpq's
 * `target_session_attrs=read-write`), and elects again when that connection is lost or the server
 * turns out read-only — the promoted standby of a failover becomes the service's primary without a
 * restart or a configuration change. The request that met the failure answers 503 and the terminal
 * retries it; synchronous replication is what makes every acknowledged upload survive the switch.
 */

/** One URL per host, in the order given; a single-host URL gives itself. */
export function splitHosts(connectionString: string): string[] {
  const match = /^(postgres(?:ql)?:\/\/)([^@/]*@)?([^/?#]*)(.*)$/i.exec(connectionString);
  if (!match) return [connectionString];
  const [, scheme, userinfo = '', hosts = '', rest = ''] = match;
  const list = hosts.split(',').filter((h) => h.length > 0);
  if (list.length <= 1) return [connectionString];
  return list.map((host) => `${scheme}${userinfo}${host}${rest}`);
}

/** The host:port of a URL, for logs and errors (never the password). */
export function hostOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}`;
  } catch {
    return '?';
  }
}

/** SQLSTATE classes and errnos that mean the connection or the server went away. */
const LOST_SQLSTATE = /^(08...|57P0[1-3])$/;
const LOST_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTCONN']);

/** True when an error means "the server is gone or read-only": elect a primary again. */
export function isConnectionLost(error: unknown): boolean {
  let e: unknown = error;
  for (let depth = 0; e && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (LOST_SQLSTATE.test(code) || LOST_ERRNOS.has(code) || code === '25006'))
      return true;
    const message = (e as Error).message;
    if (typeof message === 'string' && /Connection terminated|connection .*(closed|ended)/i.test(message))
      return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** No host of the list is a writable primary now. */
export class NoPrimaryError extends Error {
  override readonly name = 'NoPrimaryError';
  /** The error mapper answers 503 to codes it knows mean "storage cannot take writes now". */
  readonly code = '57P03';
  constructor(hosts: readonly string[], reasons: readonly string[]) {
    super(`no writable PostgreSQL primary among ${hosts.map(hostOf).join(', ')}: ${reasons.join('; ')}`);
  }
}
