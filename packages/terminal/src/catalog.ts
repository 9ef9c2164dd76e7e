import { formatKes, parseAmount } from './amount';
import { BillRefFormatError, UnknownServiceError } from './errors';

/** A government service sold at the counter. The code is what the card signs (u16). */
export interface Service {
  code: number;
  name: string;
  feeCents: number;
}

/** Service code written on the card for a typed amount that is not a catalog service. */
export const TYPED_AMOUNT_SERVICE_CODE = 0;

/**
 * Development catalog: a few eCitizen services with their published fees (KES, rounded to the
 * fee schedule at the time of writing). Production terminals receive the catalog from the
 * clearing service; the codes here are stable so receipts and reports stay comparable.
 */
export const DEFAULT_SERVICES: readonly Service[] = [
  { code: 101, name: 'Passport application (34 pages)', feeCents: 455_000 },
  { code: 102, name: 'Passport application (50 pages)', feeCents: 605_000 },
  { code: 201, name: 'Certificate of good conduct', feeCents: 105_000 },
  { code: 301, name: 'Business name search', feeCents: 5_000 },
  { code: 302, name: 'Business name registration', feeCents: 95_000 },
  { code: 401, name: 'Driving licence renewal (3 years)', feeCents: 305_000 },
  { code: 402, name: 'Interim driving licence', feeCents: 65_000 },
  { code: 501, name: 'Birth certificate copy', feeCents: 5_000 },
  { code: 502, name: 'Death certificate copy', feeCents: 5_000 },
  { code: 601, name: 'National ID replacement', feeCents: 10_000 },
  { code: 701, name: 'Marriage certificate copy', feeCents: 50_000 },
  { code: 801, name: 'Land official search', feeCents: 50_000 },
];

export class ServiceCatalog {
  private readonly byCode = new Map<number, Service>();

  constructor(services: readonly Service[] = DEFAULT_SERVICES) {
    for (const s of services) {
      if (!Number.isInteger(s.code) || s.code < 1 || s.code > 0xffff)
        throw new RangeError(`service code ${s.code} must be 1..65535 (0 means a typed amount)`);
      if (!Number.isSafeInteger(s.feeCents) || s.feeCents <= 0)
        throw new RangeError(`service ${s.code} fee must be positive integer cents`);
      if (this.byCode.has(s.code)) throw new RangeError(`service code ${s.code} appears twice`);
      this.byCode.set(s.code, { ...s });
    }
  }

  list(): Service[] {
    return [...this.byCode.values()];
  }

  get(code: number): Service {
    const s = this.byCode.get(code);
    if (!s) throw new UnknownServiceError(code);
    return s;
  }

  /** Name for receipts and reports; a typed amount or an unknown code gets a generic label. */
  nameOf(code: number): string {
    if (code === TYPED_AMOUNT_SERVICE_CODE) return 'Payment (typed amount)';
    return this.byCode.get(code)?.name ?? `Service ${code}`;
  }
}

/** What the cashier asks for: a catalog service, or a typed amount, always with the eCitizen bill ref. */
export type SaleInput =
  | { serviceCode: number; billRef: string }
  | { amount: string | number; billRef: string; serviceCode?: undefined };

/** A sale fully resolved to cents and a service code. */
export interface SaleOrder {
  amountCents: number;
  serviceCode: number;
  serviceName: string;
  billRef: string;
}

const BILL_REF = /^[\x21-\x7e](?:[\x20-\x7e]{0,14}[\x21-\x7e])?$/;

/** Checks a bill reference fits the card's 16-byte field (printable ASCII, no padding spaces). */
export function normalizeBillRef(ref: string): string {
  const t = ref.trim();
  if (!BILL_REF.test(t)) throw new BillRefFormatError(ref);
  return t;
}

/** Resolves what the cashier entered into an order (amounts as strings are parsed exactly). */
export function resolveSale(catalog: ServiceCatalog, input: SaleInput): SaleOrder {
  const billRef = normalizeBillRef(input.billRef);
  if (input.serviceCode !== undefined && !('amount' in input && input.amount !== undefined)) {
    const s = catalog.get(input.serviceCode);
    return { amountCents: s.feeCents, serviceCode: s.code, serviceName: s.name, billRef };
  }
  const raw = (input as { amount: string | number }).amount;
  const amountCents = typeof raw === 'number' ? checkCents(raw) : parseAmount(raw);
  return {
    amountCents,
    serviceCode: TYPED_AMOUNT_SERVICE_CODE,
    serviceName: catalog.nameOf(TYPED_AMOUNT_SERVICE_CODE),
    billRef,
  };
}

function checkCents(cents: number): number {
  if (!Number.isSafeInteger(cents) || cents <= 0 || cents > 0xffff_ffff)
    throw new RangeError(
      `amount ${cents} must be positive integer cents (KES ${formatKes(Math.trunc(cents))})`,
    );
  return cents;
}
