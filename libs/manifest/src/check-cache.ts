/**
 * The results of the checks that depend only on the bytes submitted (docs/adr/0010): a module's
 * findings keyed by module hash and manifest digest, a signature's verdict keyed by those and
 * the key. Bounded: the least recently used entry goes first once `capacity` is reached.
 */
export class CheckCache {
  private readonly entries = new Map<string, unknown>();
  private hitCount = 0;

  /** `capacity`: entries kept, at least 1. */
  constructor(private readonly capacity = 1024) {}

  /** The cached value for `key`, or `compute()`'s, kept for next time. */
  async get<T>(key: string, compute: () => T | Promise<T>): Promise<T> {
    if (this.entries.has(key)) {
      const value = this.entries.get(key) as T;
      this.entries.delete(key);
      this.entries.set(key, value);
      this.hitCount++;
      return value;
    }
    const value = await compute();
    this.entries.set(key, value);
    if (this.entries.size > Math.max(1, this.capacity))
      this.entries.delete(this.entries.keys().next().value as string);
    return value;
  }

  /** How many lookups were answered from the cache. */
  get hits(): number {
    return this.hitCount;
  }
}
