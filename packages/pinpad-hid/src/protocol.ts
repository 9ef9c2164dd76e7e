/** Report layout of PROTOCOL.md; the driver's side (the simulator has its own, written apart). */
export const PINPAD_VENDOR_ID = 0x1209;
export const PINPAD_PRODUCT_ID = 0x4850;
export const REPORT_SIZE = 64;
export const MAX_PIN_LENGTH = 12;
export const MAX_PROMPT_LENGTH = 40;

export const OutputReport = { BEGIN_PIN_ENTRY: 0x01, CANCEL: 0x02, CLEAR: 0x03 } as const;
export const InputReport = { KEY: 0x81, MODE: 0x82 } as const;
export const Key = { DIGIT: 0x01, ENTER: 0x02, CANCEL: 0x03, CLEAR: 0x04, TIMEOUT: 0x05 } as const;
export const NO_DIGIT = 0xff;

function report(id: number, payload: number[]): number[] {
  const out = new Array<number>(REPORT_SIZE).fill(0);
  out[0] = id;
  payload.forEach((b, i) => {
    out[i + 1] = b;
  });
  return out;
}

export interface BeginPinEntry {
  session: number;
  minLength: number;
  maxLength: number;
  timeoutSeconds: number;
  amountCents: number;
  prompt: string;
}

export function beginPinEntryReport(r: BeginPinEntry): number[] {
  const prompt = [...r.prompt.slice(0, MAX_PROMPT_LENGTH)].map((c) => {
    const code = c.charCodeAt(0);
    return code >= 0x20 && code <= 0x7e ? code : 0x3f;
  });
  const a = r.amountCents;
  return report(OutputReport.BEGIN_PIN_ENTRY, [
    r.session,
    r.minLength,
    r.maxLength,
    r.timeoutSeconds,
    (a >>> 24) & 0xff,
    (a >>> 16) & 0xff,
    (a >>> 8) & 0xff,
    a & 0xff,
    prompt.length,
    ...prompt,
  ]);
}

export function cancelReport(session: number): number[] {
  return report(OutputReport.CANCEL, [session]);
}

export function clearReport(session: number): number[] {
  return report(OutputReport.CLEAR, [session]);
}

export type InputEvent =
  | { kind: 'key'; session: number; key: number; digit: number; count: number }
  | { kind: 'mode'; session: number; mode: number };

/** Parses an input report; undefined for anything that is not one (the caller counts it). */
export function parseInputReport(data: Uint8Array): InputEvent | undefined {
  if (data.length < 3) return undefined;
  const id = data[0];
  if (id === InputReport.KEY && data.length >= 5) {
    const key = data[2]!;
    if (key < Key.DIGIT || key > Key.TIMEOUT) return undefined;
    return { kind: 'key', session: data[1]!, key, digit: data[3]!, count: data[4]! };
  }
  if (id === InputReport.MODE && (data[2] === 0 || data[2] === 1))
    return { kind: 'mode', session: data[1]!, mode: data[2]! };
  return undefined;
}
