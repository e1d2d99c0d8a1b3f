/**
 * BEP 10's table of extension messages, on our side: each extension we speak (`ut_metadata`,
 * `ut_pex`, ...) gets the id we want to receive it under. The registry builds the `m`
 * dictionary of our extension handshake and maps an incoming extended message's id back to its
 * name. The ids a peer assigned (for what we send) are per connection and live in `PeerWire`.
 */

/** The ids we receive extension messages under (BEP 10 `m`), assigned 1, 2, ... in order. */
export class ExtensionRegistry {
  readonly #ids = new Map<string, number>();
  readonly #names: string[] = [''];

  constructor(names: Iterable<string> = []) {
    for (const name of names) this.register(name);
  }

  /**
   * Registers `name` (once; registering it again returns the same id) and returns its id.
   * Register before connections start: a peer only learns ids from our extension handshake.
   * @throws RangeError past 255 extensions or for an empty name.
   */
  register(name: string): number {
    const known = this.#ids.get(name);
    if (known !== undefined) return known;
    if (name.length === 0) throw new RangeError('an extension needs a name');
    const id = this.#names.length;
    if (id > 255) throw new RangeError('BEP 10 leaves room for 255 extensions');
    this.#ids.set(name, id);
    this.#names.push(name);
    return id;
  }

  /** The id we receive `name` under, if registered. */
  idOf(name: string): number | undefined {
    return this.#ids.get(name);
  }

  /** The extension we receive under `id`, if one is registered (0 is the handshake, never a name). */
  nameOf(id: number): string | undefined {
    return id > 0 ? this.#names[id] : undefined;
  }

  /** The `m` dictionary of our extension handshake: name → id. */
  get dictionary(): Record<string, number> {
    return Object.fromEntries(this.#ids);
  }
}
