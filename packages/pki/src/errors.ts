/** Errors of the development PKI; `code` is stable. */
export class PkiError extends Error {
  override name = 'PkiError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
