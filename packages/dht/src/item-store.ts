/**
 * BEP 44 items stored for others: immutable items under the SHA-1 of their bencoded value,
 * mutable ones under the SHA-1 of key and salt, each with its signature and `seq`. Bounded in
 * count; an item expires two hours after its last put.
 */
import { idKey } from './node-id.js';

export interface StoredItem {
  /** The bencoded value, verbatim. */
  value: Uint8Array;
  /** Mutable items only. */
  key?: Uint8Array;
  signature?: Uint8Array;
  salt?: Uint8Array;
  seq?: number;
  expires: number;
}

export interface ItemStoreOptions {
  /** Most items kept. Default 10,000. */
  maxItems?: number;
  /** Lifetime of an item after its last put, in milliseconds. Default 2 hours. */
  itemLifetime?: number;
}

export class ItemStore {
  readonly #items = new Map<string, StoredItem>();
  readonly #max: number;
  readonly #lifetime: number;

  constructor(options: ItemStoreOptions = {}) {
    this.#max = options.maxItems ?? 10_000;
    this.#lifetime = options.itemLifetime ?? 2 * 60 * 60_000;
  }

  get size(): number {
    return this.#items.size;
  }

  get(target: Uint8Array, now: number): StoredItem | undefined {
    const key = idKey(target);
    const item = this.#items.get(key);
    if (item && item.expires <= now) {
      this.#items.delete(key);
      return undefined;
    }
    return item;
  }

  /** Stores (or replaces) an item; false when full. The caller has checked signatures and seq. */
  put(target: Uint8Array, item: Omit<StoredItem, 'expires'>, now: number): boolean {
    const key = idKey(target);
    if (!this.#items.has(key) && this.#items.size >= this.#max) {
      this.expire(now);
      if (this.#items.size >= this.#max) return false;
    }
    this.#items.delete(key);
    this.#items.set(key, { ...item, expires: now + this.#lifetime });
    return true;
  }

  expire(now: number): void {
    for (const [key, item] of this.#items) if (item.expires <= now) this.#items.delete(key);
  }
}
