import type { VersionRecord } from '../versions/version-record.js';

/**
 * The publisher a loaded version's slot is charged to: the one that submitted it, or, for a
 * version recorded before submitters were kept, its plugin id (`plugin:<id>`, which no
 * publisher name can be).
 */
export function slotOwner(v: Pick<VersionRecord, 'pluginId' | 'publisher'>): string {
  return v.publisher ?? `plugin:${v.pluginId}`;
}

/**
 * Which loaded version makes room for one more of `loader` when every slot is taken (ADR 0021),
 * from `holders`: each loaded version's key and the publisher it is charged to, least recently
 * used first. A publisher holding `perPublisher` or more gives up its own least recently used
 * version; any other takes the least recently used version of a publisher holding more than
 * `perPublisher` (slots it took while they were free), else the least recently used of all.
 * Undefined when nothing is loaded.
 */
export function slotToFree<K>(
  holders: Iterable<readonly [K, string]>,
  loader: string,
  perPublisher: number,
): K | undefined {
  const order = [...holders];
  const held = new Map<string, number>();
  for (const [, publisher] of order) held.set(publisher, (held.get(publisher) ?? 0) + 1);
  const pick = (eligible: (publisher: string) => boolean) =>
    order.find(([, publisher]) => eligible(publisher))?.[0];
  if ((held.get(loader) ?? 0) >= perPublisher) return pick((p) => p === loader);
  return pick((p) => (held.get(p) ?? 0) > perPublisher) ?? pick(() => true);
}
