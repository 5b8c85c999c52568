import { OwnersByBytes, type RankedOwner } from './owners-by-bytes.js';

let added = 0;
const owner = (id: string, bytes: number): RankedOwner => ({
  id,
  bytes,
  since: added++,
  heapIndex: -1,
});

/** The owner a scan of `owners` picks: the most bytes, the earliest added among equals. */
function scanLargestBut(owners: Iterable<RankedOwner>, except: string): string | undefined {
  let largest: RankedOwner | undefined;
  for (const o of owners)
    if (
      o.id !== except &&
      (!largest ||
        o.bytes > largest.bytes ||
        (o.bytes === largest.bytes && o.since < largest.since))
    )
      largest = o;
  return largest?.id;
}

describe('OwnersByBytes', () => {
  it('ignores the removal of an owner it does not hold: never added, or removed already', () => {
    const ranking = new OwnersByBytes<RankedOwner>();
    const [a, b, c] = [owner('a', 30), owner('b', 20), owner('c', 10)];
    for (const o of [a, b, c]) ranking.add(o);
    ranking.remove(owner('stranger', 99));
    ranking.remove(a);
    ranking.remove(a);
    expect(ranking.largestBut('')?.id).toBe('b');
    expect(ranking.largestBut('b')?.id).toBe('c');
    ranking.remove(b);
    expect(ranking.largestBut('')?.id).toBe('c');
    ranking.remove(c);
    expect(ranking.largestBut('')).toBeUndefined();
  });

  it('picks the owner a scan picks, over a long random run of adds, updates and removals (of owners it holds and of others)', () => {
    const ranking = new OwnersByBytes<RankedOwner>();
    const held = new Map<string, RankedOwner>();
    const gone: RankedOwner[] = [];
    let seed = 11;
    const random = () => ((seed = (seed * 48271) % 2147483647) - 1) / 2147483646;
    const pick = <T>(items: T[]): T => items[Math.floor(items.length * random())];
    for (let n = 0; n < 5000; n++) {
      const step = random();
      if (step < 0.3 || held.size === 0) {
        const o = owner(`o${n}`, Math.floor(random() * 8));
        ranking.add(o);
        held.set(o.id, o);
      } else if (step < 0.5) {
        const o = pick([...held.values()]);
        o.bytes = Math.floor(random() * 8); // few values: many ties, decided by `since`
        ranking.update(o);
      } else if (step < 0.8) {
        const o = pick([...held.values()]);
        ranking.remove(o);
        held.delete(o.id);
        gone.push(o);
      } else ranking.remove(gone.length > 0 && random() < 0.5 ? pick(gone) : owner('never', 9));
      // Only the largest owner, excepted, changes the answer: the runner-up is checked that way.
      const largest = scanLargestBut(held.values(), '') ?? '';
      for (const except of ['', largest, 'never'])
        expect(ranking.largestBut(except)?.id).toBe(scanLargestBut(held.values(), except));
    }
  });
});
