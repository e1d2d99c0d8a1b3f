/**
 * A block of a piece (BEP 3): what `request`, `cancel` and `reject` name, and what the engine's
 * picker hands out. A leaf module, so the errors and the messages can both name it without
 * importing each other.
 */
export interface BlockRequest {
  readonly index: number;
  readonly begin: number;
  readonly length: number;
}
