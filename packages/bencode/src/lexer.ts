/**
 * The one bencode lexer (BEP 3): string headers and integers, with every check the format needs
 * (bounds before allocation, canonical forms in strict mode, digit limits). The tree decoder
 * (`decode.ts`) and the pull reader (`reader.ts`) both read through it, so the two can never
 * disagree on what a token is or on where an error is reported.
 */
import { BencodeDecodeError, type BencodeDecodeErrorCode } from './errors.js';

export const CHAR_I = 0x69;
export const CHAR_L = 0x6c;
export const CHAR_D = 0x64;
export const CHAR_E = 0x65;
const CHAR_COLON = 0x3a;
const CHAR_MINUS = 0x2d;
export const CHAR_0 = 0x30;
export const CHAR_9 = 0x39;

export interface LexerOptions {
  strict?: boolean;
  maxDepth?: number;
  maxIntegerDigits?: number;
}

export class Lexer {
  /** Where the next token begins. */
  protected cursor: number;
  protected readonly input: Uint8Array;
  protected readonly length: number;
  protected readonly strict: boolean;
  protected readonly maxDepth: number;
  protected readonly maxIntegerDigits: number;
  /** Length of the data of the last string read by `stringBounds`. */
  protected lastStringLength = 0;

  constructor(bytes: Uint8Array, options: LexerOptions, start: number) {
    if (!(bytes instanceof Uint8Array)) {
      throw new TypeError('bencode input must be a Uint8Array (a Buffer is one)');
    }
    this.input = bytes;
    this.length = bytes.length;
    this.cursor = start;
    this.strict = options.strict ?? false;
    this.maxDepth = options.maxDepth ?? 256;
    this.maxIntegerDigits = options.maxIntegerDigits ?? 64;
  }

  /** Reads a string header, checks the bounds, moves past the string; returns its end. */
  protected stringBounds(): number {
    const bytes = this.input;
    const start = this.cursor;
    let position = start;
    let length = 0;
    while (position < this.length) {
      const byte = bytes[position]!;
      if (byte < CHAR_0 || byte > CHAR_9) break;
      length = length * 10 + (byte - CHAR_0);
      position++;
      if (position - start > 15) {
        throw this.error(
          'string-out-of-bounds',
          start,
          'declared string length is longer than the input',
        );
      }
    }
    if (position >= this.length) {
      throw this.error(
        'unexpected-end',
        position,
        "input ended inside a string length (missing ':')",
      );
    }
    if (bytes[position] !== CHAR_COLON) {
      throw this.error(
        'invalid-length',
        position,
        `${describeByte(bytes[position]!)} in a string length (expected a digit or ':')`,
      );
    }
    if (this.strict && bytes[start] === CHAR_0 && position - start > 1) {
      throw this.error(
        'non-canonical-length',
        start,
        'string length has a leading zero (strict mode)',
      );
    }
    const dataStart = position + 1;
    if (length > this.length - dataStart) {
      throw this.error(
        'string-out-of-bounds',
        start,
        `declared string length ${length} runs past the end of the input (${this.length - dataStart} bytes left)`,
      );
    }
    this.lastStringLength = length;
    this.cursor = dataStart + length;
    return this.cursor;
  }

  /** Reads an integer token (`i...e`) at the cursor and moves past it. */
  protected readInteger(): number | bigint {
    const bytes = this.input;
    const start = this.cursor;
    let position = start + 1;
    let negative = false;
    if (position < this.length && bytes[position] === CHAR_MINUS) {
      negative = true;
      position++;
    }
    const digitsStart = position;
    let value = 0;
    while (position < this.length) {
      const byte = bytes[position]!;
      if (byte < CHAR_0 || byte > CHAR_9) break;
      value = value * 10 + (byte - CHAR_0);
      position++;
    }
    if (position >= this.length) {
      throw this.error('unexpected-end', position, "input ended inside an integer (missing 'e')");
    }
    const digits = position - digitsStart;
    if (bytes[position] !== CHAR_E) {
      throw this.error(
        'invalid-integer',
        position,
        `${describeByte(bytes[position]!)} inside an integer (expected a digit or 'e')`,
      );
    }
    if (digits === 0) {
      throw this.error('invalid-integer', start, 'integer has no digits');
    }
    if (digits > this.maxIntegerDigits) {
      throw this.error(
        'integer-too-long',
        digitsStart,
        `integer has ${digits} digits; at most ${this.maxIntegerDigits} are accepted`,
      );
    }
    if (this.strict) {
      if (bytes[digitsStart] === CHAR_0 && digits > 1) {
        throw this.error(
          'non-canonical-integer',
          digitsStart,
          'integer has a leading zero (strict mode)',
        );
      }
      if (negative && value === 0) {
        throw this.error(
          'non-canonical-integer',
          start,
          'negative zero is not canonical (strict mode)',
        );
      }
    }
    this.cursor = position + 1;
    if (digits <= 15) return negative ? -value : value;
    let text = '';
    for (let i = digitsStart; i < position; i++) text += String.fromCharCode(bytes[i]!);
    const big = negative ? -BigInt(text) : BigInt(text);
    if (big <= BigInt(Number.MAX_SAFE_INTEGER) && big >= BigInt(Number.MIN_SAFE_INTEGER)) {
      return Number(big);
    }
    return big;
  }

  protected error(
    code: BencodeDecodeErrorCode,
    offset: number,
    message: string,
  ): BencodeDecodeError {
    return new BencodeDecodeError(code, offset, message);
  }

  /** The error for a byte that cannot start a value. */
  protected notAValue(position: number): BencodeDecodeError {
    const byte = this.input[position]!;
    if (byte === CHAR_E) {
      return this.error('unexpected-byte', position, "'e' where a value was expected");
    }
    return this.error(
      'unexpected-byte',
      position,
      `${describeByte(byte)} cannot start a value (expected a digit, 'i', 'l' or 'd')`,
    );
  }

  protected keyNotString(position: number): BencodeDecodeError {
    return this.error(
      'key-not-string',
      position,
      `dictionary keys must be byte strings, found ${describeByte(this.input[position]!)}`,
    );
  }

  protected depthExceeded(position: number): BencodeDecodeError {
    return this.error('depth-exceeded', position, `nesting deeper than ${this.maxDepth} levels`);
  }
}

export function describeByte(byte: number): string {
  if (byte >= 0x21 && byte <= 0x7e) return `'${String.fromCharCode(byte)}'`;
  return `byte 0x${byte.toString(16).padStart(2, '0')}`;
}
