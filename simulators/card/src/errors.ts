/**
 * The simulated card lost power at an armed tear point. Everything the card had not persisted
 * is gone; the card has already reloaded its state from what was persisted.
 */
export class PowerLossError extends Error {
  override name = 'PowerLossError';
  readonly code = 'ERR_POWER_LOSS';
  constructor(
    /** Index (0-based) of the tear point that fired within the command. */
    readonly tearPoint: number,
    /** Where in the command the power was lost, e.g. "before-write:debit". */
    readonly label: string,
  ) {
    super(`power lost at tear point ${tearPoint} (${label})`);
  }
}

export class CardFileError extends Error {
  override name = 'CardFileError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
