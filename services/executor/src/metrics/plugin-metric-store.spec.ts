import { OVERFLOW_ATTRIBUTES } from './plugin-instruments.js';
import { PluginMetricStore } from './plugin-metric-store.js';

/** Plugin ids of one length, so that every series of one counter costs the same. */
const pluginId = (n: number) => `p${String(n).padStart(6, '0')}`;

/** What a counter series of pluginId(n) is charged (see PluginMetricStore). */
function seriesCost(): number {
  const store = new PluginMetricStore();
  store.counter('spec_c', '').within('pub.probe', { plugin: pluginId(0) });
  return store.ownerBytes('pub.probe');
}

/**
 * The eviction rule of ADR 0025 on series of equal cost, as the store applied it with a scan of
 * every owner: owners in the order they first held a series (again after holding none); past the
 * budget, an owner over its share gives up its own series, else the owner holding the most
 * (the first in that order among equals) does.
 */
class ReferenceStore {
  private readonly counts = new Map<string, number>();
  private used = 0;

  constructor(private readonly capacity: number) {}

  /** Whether a new series of `owner` is kept (false: it counts under the overflow series). */
  add(owner: string): boolean {
    if (this.used === this.capacity) {
      const holding = this.counts.has(owner) ? this.counts.size : this.counts.size + 1;
      const share = this.capacity / holding;
      if (1 > share) return false;
      const victim = (this.counts.get(owner) ?? 0) + 1 > share ? owner : this.largestBut(owner);
      if (victim === undefined) return false;
      const left = this.counts.get(victim)! - 1;
      if (left === 0) this.counts.delete(victim);
      else this.counts.set(victim, left);
      this.used--;
    }
    this.counts.set(owner, (this.counts.get(owner) ?? 0) + 1);
    this.used++;
    return true;
  }

  count(owner: string): number {
    return this.counts.get(owner) ?? 0;
  }

  private largestBut(owner: string): string | undefined {
    let largest: string | undefined;
    let most = 0;
    for (const [id, count] of this.counts)
      if (id !== owner && count > most) [largest, most] = [id, count];
    return largest;
  }
}

describe('PluginMetricStore eviction', () => {
  const cost = seriesCost();

  it.each([
    ['two largest tie: the one first holding series gives up one', 'abbbbbccccc', 'e'],
    ['everyone ties: the first owner gives up one', 'aabbccdde', 'f'],
    ['the newcomer is over its share: it gives up its own', 'aabbccdde', 'e'],
    ['one owner holds most', 'abcaaaaaaa', 'b'],
    ['owners empty and come back, last among equals then', 'abcdea', 'f'],
  ])('%s', (_shape, fill, newcomer) => {
    const capacity = fill.length;
    const store = new PluginMetricStore(capacity * cost);
    const counter = store.counter('spec_c', '');
    const reference = new ReferenceStore(capacity);
    const owners = [...new Set([...fill, newcomer])];
    let n = 0;
    for (const owner of [...fill, newcomer, ...fill, newcomer, newcomer]) {
      const kept = counter.within(owner, { plugin: pluginId(n++) }) !== OVERFLOW_ATTRIBUTES;
      expect(kept).toBe(reference.add(owner));
      expect(owners.map((o) => store.ownerBytes(o))).toEqual(
        owners.map((o) => reference.count(o) * cost),
      );
    }
  });

  it('picks the owner the scan picked, over a long random run', () => {
    const capacity = 60;
    const store = new PluginMetricStore(capacity * cost);
    const counter = store.counter('spec_c', '');
    const reference = new ReferenceStore(capacity);
    const owners = Array.from({ length: 12 }, (_, i) => `pub.${i}`);
    let seed = 7;
    const random = () => ((seed = (seed * 48271) % 2147483647) - 1) / 2147483646;
    for (let n = 0; n < 5000; n++) {
      // Skewed: low-numbered owners add series far more often.
      const owner = owners[Math.floor(owners.length * random() ** 2)];
      const kept = counter.within(owner, { plugin: pluginId(n) }) !== OVERFLOW_ATTRIBUTES;
      expect(kept).toBe(reference.add(owner));
      expect(owners.map((o) => store.ownerBytes(o))).toEqual(
        owners.map((o) => reference.count(o) * cost),
      );
    }
  });
});
