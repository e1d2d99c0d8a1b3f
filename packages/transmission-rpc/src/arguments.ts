/**
 * Reading a request's arguments: each typed reader returns the value or `undefined` when the key
 * is absent, and throws `invalid-argument` (naming the key) when it has the wrong type.
 */
import type { TorrentSelector } from './backend.js';
import { RpcError } from './errors.js';

export type Arguments = Record<string, unknown>;

function wrongType(key: string, expected: string, value: unknown): RpcError {
  const got = Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`;
  return new RpcError('invalid-argument', `argument "${key}" must be ${expected}, got ${got}`, {
    argument: key,
  });
}

export function numberArgument(args: Arguments, key: string): number | undefined {
  const value = args[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw wrongType(key, 'a number', value);
  return value;
}

export function booleanArgument(args: Arguments, key: string): boolean | undefined {
  const value = args[key];
  if (value === undefined) return undefined;
  // Transmission's own JSON reader takes 0/1 for booleans; some clients send them
  if (value === 0 || value === 1) return value === 1;
  if (typeof value !== 'boolean') throw wrongType(key, 'a boolean', value);
  return value;
}

export function stringArgument(args: Arguments, key: string): string | undefined {
  const value = args[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw wrongType(key, 'a string', value);
  return value;
}

export function stringListArgument(args: Arguments, key: string): string[] | undefined {
  const value = args[key];
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string'))
    throw wrongType(key, 'an array of strings', value);
  return value;
}

/** File or tracker indices: non-negative integers. */
export function indexListArgument(args: Arguments, key: string): number[] | undefined {
  const value = args[key];
  if (value === undefined) return undefined;
  if (
    !Array.isArray(value) ||
    !value.every((item) => typeof item === 'number' && Number.isSafeInteger(item) && item >= 0)
  )
    throw wrongType(key, 'an array of indices', value);
  return value as number[];
}

const HASH = /^[0-9a-f]{40}$/i;

/** `ids`: absent (all), a number, `recently-active`, a hash, or a list of numbers and hashes. */
export function selectorArgument(args: Arguments): TorrentSelector {
  const value = args.ids;
  if (value === undefined) return { kind: 'all' };
  if (value === 'recently-active' || value === 'recently_active')
    return { kind: 'recently-active' };
  const items = Array.isArray(value) ? (value as unknown[]) : [value];
  const ids: number[] = [];
  const hashes: string[] = [];
  for (const item of items) {
    if (typeof item === 'number' && Number.isSafeInteger(item)) ids.push(item);
    else if (typeof item === 'string' && HASH.test(item)) hashes.push(item.toLowerCase());
    else if (typeof item === 'string' && /^\d+$/.test(item)) ids.push(Number(item));
    else
      throw new RpcError(
        'invalid-argument',
        `"ids" holds ${JSON.stringify(item)}, which is neither a torrent id nor a 40-digit hash`,
        { argument: 'ids' },
      );
  }
  return { kind: 'list', ids, hashes };
}
