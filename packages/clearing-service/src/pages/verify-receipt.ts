/**
 * Receipt verification with public keys only, for the browser (WebCrypto ECDSA P-256 + SHA-256;
 * also runs in Node, where the tests call it). Given the answer of GET /v1/receipt-check, the
 * proof reference from the receipt, the service key and the issuer CA keys, it checks:
 * 1. the checkpoint (tree size, root, time) is signed by the service key;
 * 2. the record is a leaf of that tree (RFC 9162 inclusion proof);
 * 3. the card proof and certificate are byte strings inside that record;
 * 4. the card proof is the one the receipt names (its SHA-256 starts with the reference);
 * 5. the card certificate is signed by a trusted issuer CA, and the card signed the proof.
 * Bundled for the page by esbuild; imports only browser-safe code.
 */
import {
  certificateSigningMessage,
  decodeCertificate,
  Size,
  transactionSigningMessage,
} from '@huduma/card-applet-spec';

export interface ReceiptCheckAnswer {
  terminalId: string;
  seq: number;
  record: string;
  leafIndex: number;
  inclusionProof: string[];
  checkpoint: { treeSize: number; rootHash: string; timestampMs: number; keyId: string; signature: string };
  cardProof: string;
  cardCertificate: string;
}

export interface VerifiedSale {
  ok: true;
  terminalId: string;
  seq: number;
  cardMasked: string;
  kind: 'sale' | 'cancel' | 'reload';
  amountCents: number;
  time: number;
  billRef: string;
  serviceCode: number;
  treeSize: number;
  checkpointMs: number;
}

export type ReceiptVerdict = VerifiedSale | { ok: false; step: string; reason: string };

const TREE_HEAD_DOMAIN = 'HUDUMA-CLEARING/TREE-HEAD/v1';

export function fromHex(s: string): Uint8Array {
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) throw new Error('not hex');
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

const toHex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>));
}

async function verifyP256(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  if (signature.length !== 64 || publicKey.length !== 65) return false;
  try {
    const key = await crypto.subtle.importKey(
      'raw',
      publicKey as Uint8Array<ArrayBuffer>,
      { name: 'ECDSA', namedCurve: 'P-256' },
      false,
      ['verify'],
    );
    return await crypto.subtle.verify(
      { name: 'ECDSA', hash: 'SHA-256' },
      key,
      signature as Uint8Array<ArrayBuffer>,
      message as Uint8Array<ArrayBuffer>,
    );
  } catch {
    return false;
  }
}

function u64(v: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(v));
  return b;
}

/** RFC 9162 §2.1.3.2, as merkle.ts verifyInclusion, with WebCrypto hashes. */
export async function verifyInclusionAsync(
  leafHash: Uint8Array,
  index: number,
  treeSize: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): Promise<boolean> {
  if (!(Number.isSafeInteger(index) && Number.isSafeInteger(treeSize)) || index < 0 || index >= treeSize)
    return false;
  let fn = index;
  let sn = treeSize - 1;
  let r = leafHash;
  const node = (l: Uint8Array, rr: Uint8Array) => sha256(concat(Uint8Array.of(1), l, rr));
  for (const p of proof) {
    if (p.length !== 32 || sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = await node(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = await node(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && toHex(r) === toHex(root);
}

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

const KINDS: Record<number, VerifiedSale['kind']> = { 1: 'sale', 2: 'cancel', 3: 'reload' };

export async function verifyReceipt(
  answer: ReceiptCheckAnswer,
  proofRef: string,
  keys: { servicePublicKey: Uint8Array; issuerCaKeys: readonly Uint8Array[] },
): Promise<ReceiptVerdict> {
  const fail = (step: string, reason: string): ReceiptVerdict => ({ ok: false, step, reason });
  let record: Uint8Array;
  let proof: Uint8Array;
  let certBytes: Uint8Array;
  let root: Uint8Array;
  let headSig: Uint8Array;
  let path: Uint8Array[];
  try {
    record = fromHex(answer.record);
    proof = fromHex(answer.cardProof);
    certBytes = fromHex(answer.cardCertificate);
    root = fromHex(answer.checkpoint.rootHash);
    headSig = fromHex(answer.checkpoint.signature);
    path = answer.inclusionProof.map(fromHex);
  } catch {
    return fail('format', 'the service answer is not well formed');
  }
  const cp = answer.checkpoint;
  if (
    !Number.isSafeInteger(cp.treeSize) ||
    !Number.isSafeInteger(cp.timestampMs) ||
    cp.treeSize < 0 ||
    cp.timestampMs < 0 ||
    root.length !== 32
  ) {
    return fail('format', 'the checkpoint is not well formed');
  }
  const headMessage = concat(
    new TextEncoder().encode(TREE_HEAD_DOMAIN),
    Uint8Array.of(0),
    u64(cp.treeSize),
    root,
    u64(cp.timestampMs),
  );
  if (!(await verifyP256(keys.servicePublicKey, headMessage, headSig))) {
    return fail('checkpoint', 'the checkpoint is not signed by the clearing service key');
  }
  const leafHash = await sha256(concat(Uint8Array.of(0), record));
  if (!(await verifyInclusionAsync(leafHash, answer.leafIndex, cp.treeSize, path, root))) {
    return fail('inclusion', 'the record is not in the signed tree');
  }
  if (proof.length !== Size.TRANSACTION_PROOF || !contains(record, proof) || !contains(record, certBytes)) {
    return fail('record', 'the card proof is not part of the accepted record');
  }
  const proofHash = toHex(await sha256(proof));
  const ref = proofRef.trim().toLowerCase();
  if (!/^([0-9a-f]{8}|[0-9a-f]{64})$/.test(ref) || !proofHash.startsWith(ref)) {
    return fail('reference', 'the receipt names another card proof');
  }
  let cert: ReturnType<typeof decodeCertificate>;
  try {
    cert = decodeCertificate(certBytes);
  } catch {
    return fail('certificate', 'the card certificate cannot be read');
  }
  if (cert.type !== 'card') return fail('certificate', 'not a card certificate');
  const issuerKeyId = toHex(cert.issuerKeyId);
  let issuer: Uint8Array | undefined;
  for (const k of keys.issuerCaKeys) {
    if (toHex((await sha256(k)).subarray(0, 8)) === issuerKeyId) issuer = k;
  }
  if (!issuer) return fail('certificate', 'the card certificate is not from a trusted issuer');
  const tbs = certBytes.subarray(0, Size.CARD_CERTIFICATE_TBS);
  if (!(await verifyP256(issuer, certificateSigningMessage(tbs), cert.signature))) {
    return fail('certificate', 'the card certificate signature does not verify');
  }
  const signed = proof.subarray(0, Size.TRANSACTION_RECORD);
  const cardSig = proof.subarray(Size.TRANSACTION_RECORD);
  if (!(await verifyP256(cert.signingKey, transactionSigningMessage(cert.cardNumber, signed), cardSig))) {
    return fail('card', 'the card did not sign this proof');
  }
  const dv = new DataView(signed.buffer, signed.byteOffset, signed.length);
  const ascii = (a: number, b: number) =>
    String.fromCharCode(...signed.subarray(a, b)).replace(/[\x00 ]+$/, '');
  const kind = KINDS[signed[0]!];
  if (!kind) return fail('card', 'the card proof is not a sale, cancel or reload');
  return {
    ok: true,
    terminalId: ascii(19, 27),
    seq: answer.seq,
    cardMasked: `${cert.cardNumber.slice(0, 4)} •••• •••• ${cert.cardNumber.slice(-4)}`,
    kind,
    amountCents: dv.getUint32(5),
    time: dv.getUint32(39),
    billRef: ascii(43, 59),
    serviceCode: dv.getUint16(59),
    treeSize: cp.treeSize,
    checkpointMs: cp.timestampMs,
  };
}
