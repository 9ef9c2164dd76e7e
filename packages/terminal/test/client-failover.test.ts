/**
 * A terminal configured with several clearing-service addresses: a dead address or a 503 moves the
 * request to the next one (signed anew), the client stays with the one that answered, and a 4xx
 * is the service's answer, never a reason to try elsewhere.
 */
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ClearingClient,
  ClearingRejectedError,
  ClearingServerError,
  serviceAddresses,
} from '@huduma/terminal';
import { afterEach, describe, expect, it } from 'vitest';

interface Seen {
  url: string;
  nonce: string | undefined;
}

async function fakeService(answer: (req: IncomingMessage) => [number, unknown], seen: Seen[]) {
  const server = createServer((req, res) => {
    seen.push({ url: `${req.url}`, nonce: req.headers['x-huduma-nonce'] as string | undefined });
    const [status, body] = answer(req);
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** A loopback address nothing listens on (a port just released). */
async function deadAddress(): Promise<string> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise((resolve) => s.close(resolve));
  return `http://127.0.0.1:${port}`;
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

// A real P-256 key (requests are signed); these fake services do not check signatures.
const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
const b64 = (s: string | undefined) => new Uint8Array(Buffer.from(s!, 'base64url'));
const credentials = {
  terminalId: 'T-FAIL',
  certificateBytes: new Uint8Array(165),
  privateKey: b64(jwk.d),
  publicKey: new Uint8Array([4, ...b64(jwk.x), ...b64(jwk.y)]),
};
const state = { terminalId: 'T-FAIL', lastSeq: 3, headHash: null, status: 'active' };

describe('ClearingClient with several service addresses', () => {
  it('skips a dead address and a 503, then stays with the address that answered', async () => {
    const seen: Seen[] = [];
    const busy = await fakeService(() => [503, { error: 'ERR_STORAGE_UNAVAILABLE', message: 'retry' }], seen);
    const good = await fakeService(() => [200, state], seen);
    servers.push(busy.server, good.server);
    const dead = await deadAddress();
    const client = new ClearingClient({
      baseUrl: `${dead}, ${busy.url}/,${good.url}`,
      terminal: credentials,
    });
    expect(client.baseUrls).toEqual([dead, busy.url, good.url]);

    expect(await client.state()).toEqual(state);
    expect(client.baseUrl).toBe(good.url);
    // The busy service was asked once; each attempt carried its own nonce.
    expect(seen.map((s) => s.url)).toEqual(['/v1/terminals/T-FAIL/state', '/v1/terminals/T-FAIL/state']);
    expect(new Set(seen.map((s) => s.nonce)).size).toBe(2);

    await client.state();
    expect(seen).toHaveLength(3); // straight to the good one
  });

  it('throws the last failure when no address answers', async () => {
    const client = new ClearingClient({
      baseUrl: [await deadAddress(), await deadAddress()],
      terminal: credentials,
    });
    await expect(client.state()).rejects.toMatchObject({ code: 'ERR_SYNC_NETWORK' });
  });

  it('takes a 4xx as the answer: no other address is tried', async () => {
    const seen: Seen[] = [];
    const refusing = await fakeService(
      () => [403, { error: 'ERR_TERMINAL_REVOKED', message: 'revoked' }],
      seen,
    );
    const good = await fakeService(() => [200, state], seen);
    servers.push(refusing.server, good.server);
    const client = new ClearingClient({ baseUrl: [refusing.url, good.url], terminal: credentials });
    await expect(client.state()).rejects.toBeInstanceOf(ClearingRejectedError);
    expect(seen).toHaveLength(1);
  });

  it('a 500 is not a reason to switch either (a bug answers the same everywhere)', async () => {
    const seen: Seen[] = [];
    const broken = await fakeService(() => [500, { error: 'ERR_INTERNAL', message: 'bug' }], seen);
    const good = await fakeService(() => [200, state], seen);
    servers.push(broken.server, good.server);
    const client = new ClearingClient({ baseUrl: [broken.url, good.url], terminal: credentials });
    await expect(client.state()).rejects.toBeInstanceOf(ClearingServerError);
    expect(seen).toHaveLength(1);
  });

  it('reads address lists from arrays and comma strings, dropping blanks and trailing slashes', () => {
    expect(serviceAddresses('http://a:1/, ,http://b:2//')).toEqual(['http://a:1', 'http://b:2']);
    expect(serviceAddresses(['http://a:1'])).toEqual(['http://a:1']);
    expect(() => new ClearingClient({ baseUrl: ' , ', terminal: credentials })).toThrow(TypeError);
  });
});
