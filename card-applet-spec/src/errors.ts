/**
 * Base class of every error raised by the spec codecs. `code` is stable across releases;
 * `offset` (when known) is the byte position in the input where decoding failed.
 */
export class SpecCodecError extends Error {
  override name = 'SpecCodecError';
  constructor(
    readonly code: string,
    message: string,
    readonly offset?: number,
  ) {
    super(offset === undefined ? message : `${message} (at byte ${offset})`);
  }
}
