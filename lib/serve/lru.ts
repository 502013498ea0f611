/**
 * A bounded least-recently-used map: at most `maxEntries` entries and `maxWeight` total weight (each entry
 * weighs what `weigh` says, e.g. its length in characters); the least recently used go first.
 * @module
 */

/** A bounded LRU map on `Map`'s insertion order (a hit moves the entry to the end). */
export class Lru<V> {
  readonly #map = new Map<string, V>();
  readonly #maxEntries: number;
  readonly #maxWeight: number;
  readonly #weigh: (v: V) => number;
  #weight = 0;

  constructor(maxEntries: number, maxWeight = Infinity, weigh: (v: V) => number = () => 0) {
    if (!(maxEntries >= 0)) throw new RangeError(`maxEntries: expected >= 0, got ${maxEntries}`);
    this.#maxEntries = maxEntries;
    this.#maxWeight = maxWeight;
    this.#weigh = weigh;
  }

  get size(): number {
    return this.#map.size;
  }

  /** Total weight of the entries held. */
  get weight(): number {
    return this.#weight;
  }

  has(key: string): boolean {
    return this.#map.has(key);
  }

  /** The value (and marks it most recently used); undefined when absent. */
  get(key: string): V | undefined {
    const v = this.#map.get(key);
    if (v === undefined) return undefined;
    this.#map.delete(key);
    this.#map.set(key, v);
    return v;
  }

  set(key: string, value: V): void {
    const old = this.#map.get(key);
    if (old !== undefined) {
      this.#map.delete(key);
      this.#weight -= this.#weigh(old);
    }
    this.#map.set(key, value);
    this.#weight += this.#weigh(value);
    while (this.#map.size > this.#maxEntries || (this.#weight > this.#maxWeight && this.#map.size)) {
      const [k, v] = this.#map.entries().next().value!;
      this.#map.delete(k);
      this.#weight -= this.#weigh(v);
    }
  }

  clear(): void {
    this.#map.clear();
    this.#weight = 0;
  }
}
