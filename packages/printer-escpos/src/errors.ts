/** Typed errors of the printer package, each with a stable machine-readable code. */
export class PrinterError extends Error {
  readonly code: string;
  /** The input field at fault, when the error is about an input. */
  readonly field: string | undefined;
  constructor(code: string, message: string, options: { field?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PrinterError';
    this.code = code;
    this.field = options.field;
  }
}

/** A printable document that cannot be printed as given (too long a QR payload, bad sizes...). */
export class InvalidDocumentError extends PrinterError {
  constructor(field: string, message: string) {
    super('ERR_PRINTER_DOCUMENT', message, { field });
    this.name = 'InvalidDocumentError';
  }
}

/** A device spec string (`escpos:/dev/ttyS0`) that cannot be parsed. */
export class DeviceSpecError extends PrinterError {
  constructor(field: string, message: string) {
    super('ERR_DEVICE_SPEC', message, { field });
    this.name = 'DeviceSpecError';
  }
}
