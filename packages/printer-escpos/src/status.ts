/**
 * Real-time status (DLE EOT n, Epson ESC/POS): the printer answers each query with one byte,
 * even while offline or out of paper. Bits 1 and 4 are always 1 and bits 0 and 7 always 0, which
 * tells a status byte from noise.
 */
export const STATUS_QUERIES = {
  printer: 1, // bit 3: offline
  offlineCause: 2, // bit 2: cover open; bit 5: stopped at paper end; bit 6: error
  errorCause: 3, // bit 3: autocutter error; bit 5: unrecoverable; bit 6: auto-recoverable
  paperSensor: 4, // bits 2+3: roll near end; bits 5+6: roll end
} as const;

/** 'unreachable': no answer at all (switched off, unplugged, wrong line). */
export type PrinterState = 'ready' | 'paper-out' | 'cover-open' | 'offline' | 'error' | 'unreachable';

export interface PrinterStatus {
  state: PrinterState;
  /** The roll is near its end: still prints, the cashier should change it soon. */
  paperNearEnd: boolean;
  /** Why the printer is offline or in error, for logs and support (not for the cashier). */
  detail: string[];
}

export function isStatusByte(b: number): boolean {
  return (b & 0x93) === 0x12;
}

/** Four status bytes (answers to DLE EOT 1, 2, 3, 4) into one typed state. */
export function parseStatus(bytes: {
  printer: number;
  offlineCause: number;
  errorCause: number;
  paperSensor: number;
}): PrinterStatus {
  const detail: string[] = [];
  for (const [name, b] of Object.entries(bytes))
    if (!isStatusByte(b))
      detail.push(`${name} byte 0x${b.toString(16).padStart(2, '0')} is not a status byte`);
  if (detail.length) return { state: 'error', paperNearEnd: false, detail };
  const offline = (bytes.printer & 0x08) !== 0;
  const coverOpen = (bytes.offlineCause & 0x04) !== 0;
  const paperStop = (bytes.offlineCause & 0x20) !== 0;
  const errorOccurred = (bytes.offlineCause & 0x40) !== 0;
  const paperEnd = (bytes.paperSensor & 0x60) !== 0;
  const paperNearEnd = (bytes.paperSensor & 0x0c) !== 0;
  if (bytes.errorCause & 0x08) detail.push('autocutter error');
  if (bytes.errorCause & 0x20) detail.push('unrecoverable error');
  if (bytes.errorCause & 0x40) detail.push('auto-recoverable error');
  if (errorOccurred) detail.push('error occurred');
  let state: PrinterState = 'ready';
  if (coverOpen) state = 'cover-open';
  else if (paperEnd || paperStop) state = 'paper-out';
  else if (detail.length) state = 'error';
  else if (offline) state = 'offline';
  if (offline) detail.push('offline');
  return { state, paperNearEnd, detail };
}
