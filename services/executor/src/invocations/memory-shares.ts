/** A version holding sandbox memory, as {@link memoryToFree} weighs it. */
export interface MemoryHolding<K> {
  key: K;
  /** The publisher its memory is charged to (see slotOwner). */
  publisher: string;
  /** Resident memory of its sandbox processes, bytes (measured, ADR 0022). */
  bytes: number;
  /**
   * `idle`: loaded with no call running or waiting; `busy`: loaded with calls; `held`: counted
   * but not to be unloaded now (loading, or unloaded and finishing its calls).
   */
  state: 'idle' | 'busy' | 'held';
}

/**
 * Which version to unload when the sandbox processes need `need` more bytes than
 * EXECUTOR_SANDBOX_MEMORY_TOTAL_MB (`totalBytes`) leaves (ADR 0022, amended): `holdings` are
 * every version holding memory, least recently used first; `loader` is the publisher loading one
 * more, none when processes grew past the ceiling by themselves.
 *
 * Each publisher's fair share is `totalBytes` divided by the publishers holding memory (the
 * loader included). A loader that would pass its share gives up its own least recently used idle
 * version, never another publisher's. Otherwise (or with no loader) the version comes from the
 * publishers over their share, the one holding most first: an idle one if any of them has one,
 * else the least recently used busy one (its running calls finish before its process exits), so
 * calls kept running do not keep memory past a share. Undefined when none may go.
 */
export function memoryToFree<K>(
  holdings: readonly MemoryHolding<K>[],
  totalBytes: number,
  loader?: { publisher: string; need: number },
): K | undefined {
  const usage = new Map<string, number>();
  if (loader) usage.set(loader.publisher, 0);
  for (const h of holdings) usage.set(h.publisher, (usage.get(h.publisher) ?? 0) + h.bytes);
  const share = totalBytes / usage.size;
  const pick = (state: MemoryHolding<K>['state'], publishers: readonly string[]) => {
    for (const publisher of publishers) {
      const found = holdings.find((h) => h.publisher === publisher && h.state === state);
      if (found) return found.key;
    }
    return undefined;
  };
  if (loader && (usage.get(loader.publisher) ?? 0) + loader.need > share)
    return pick('idle', [loader.publisher]);
  const over = [...usage]
    .filter(([, bytes]) => bytes > share)
    .sort(([, a], [, b]) => b - a)
    .map(([publisher]) => publisher);
  return pick('idle', over) ?? pick('busy', over);
}
