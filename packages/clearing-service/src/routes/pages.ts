/**
 * The people's pages (operator console, merchant portal, public receipt check), their assets,
 * and the public keys the receipt check verifies with. Strict CSP: scripts and styles only from
 * this origin, no inline code, no framing.
 */
import { AssetParams, ReceiptCheckKeys } from '@huduma/clearing-protocol';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { PAGE_SCRIPTS, type PageScript, pageHtml, pageScript, STYLE } from '../pages/assets';
import { hex, type RouteDeps } from './deps';

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

function secure(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('cache-control', 'no-store');
}

const PAGES: Array<[string, string, PageScript]> = [
  ['/console', 'Operator console', 'console.js'],
  ['/merchant', 'Merchant portal', 'merchant.js'],
  ['/receipt-check', 'Check a receipt', 'receipt-check.js'],
];

export async function pageRoutes(
  api: FastifyInstance,
  deps: RouteDeps & { issuerCaKeys: readonly Uint8Array[] },
): Promise<void> {
  for (const [path, title, script] of PAGES) {
    const html = pageHtml(title, script);
    api.get(
      path,
      { schema: { summary: `${title} (HTML page; signs in from the page)` } },
      async (_request, reply) => secure(reply).type('text/html; charset=utf-8').send(html),
    );
  }
  api.get<{ Params: { name: string } }>(
    '/assets/:name',
    {
      schema: {
        summary: 'Page assets: style.css and the bundled page scripts (no CDN)',
        params: AssetParams,
      },
    },
    async (request, reply) => {
      const { name } = request.params;
      if (name === 'style.css') return secure(reply).type('text/css; charset=utf-8').send(STYLE);
      if (!Object.hasOwn(PAGE_SCRIPTS, name)) return reply.callNotFound();
      return secure(reply)
        .type('text/javascript; charset=utf-8')
        .send(await pageScript(name as PageScript));
    },
  );
  api.get(
    '/v1/receipt-check/keys',
    {
      schema: {
        summary:
          'Public keys the receipt check verifies with: the service key and the issuer CA keys (uncompressed P-256, hex)',
        response: {
          200: ReceiptCheckKeys,
        },
      },
    },
    async () => ({ servicePublicKey: hex(deps.signer.publicKey), issuerCaKeys: deps.issuerCaKeys.map(hex) }),
  );
}
