import { memoryToFree, type MemoryHolding } from './memory-shares.js';

describe('memoryToFree', () => {
  const MiB = 1048576;
  // Least recently used first.
  const holding = (
    key: string,
    publisher: string,
    mib: number,
    state: MemoryHolding<string>['state'] = 'idle',
  ): MemoryHolding<string> => ({ key, publisher, bytes: mib * MiB, state });
  const need = 80 * MiB;

  it('makes a loader that would pass its share give up its own idle version, never another publisher’s, whatever it holds in count', () => {
    // 400 MiB for bob and mallory: 200 each. Mallory holds 1 version, bob's is older.
    const loaded = [holding('b1', 'bob', 150), holding('m1', 'mallory', 150)];
    expect(memoryToFree(loaded, 400 * MiB, { publisher: 'mallory', need })).toBe('m1');
    // Her only version busy: nothing of hers may go, and bob's is not hers to take.
    loaded[1].state = 'busy';
    expect(memoryToFree(loaded, 400 * MiB, { publisher: 'mallory', need })).toBeUndefined();
  });

  it('gives a loader within its share the idle version of the publisher holding most', () => {
    const loaded = [
      holding('c1', 'carol', 60),
      holding('b1', 'bob', 150),
      holding('m1', 'mallory', 100, 'busy'),
      holding('m2', 'mallory', 100),
      holding('b2', 'bob', 10),
    ];
    // 4 publishers with dave: 100 MiB each; carol is within hers.
    expect(memoryToFree(loaded, 400 * MiB, { publisher: 'dave', need })).toBe('m2');
    loaded[3].state = 'busy';
    // Mallory's all busy: bob, over too, gives up his idle one first.
    expect(memoryToFree(loaded, 400 * MiB, { publisher: 'dave', need })).toBe('b1');
  });

  it("takes a busy version of the publisher most over its share when no one over it has an idle one, never a publisher's within it", () => {
    const loaded = [
      holding('b1', 'bob', 100),
      holding('m1', 'mallory', 100, 'busy'),
      holding('m2', 'mallory', 100, 'busy'),
      holding('m3', 'mallory', 100, 'busy'),
    ];
    expect(memoryToFree(loaded, 400 * MiB, { publisher: 'carol', need })).toBe('m1');
    expect(memoryToFree(loaded, 400 * MiB, { publisher: 'bob', need })).toBe('m1');
  });

  it('counts versions loading or finishing their calls toward their publisher, and never picks them', () => {
    const loaded = [holding('m1', 'mallory', 300, 'held'), holding('b1', 'bob', 90)];
    expect(memoryToFree(loaded, 400 * MiB, { publisher: 'carol', need })).toBeUndefined();
    expect(memoryToFree(loaded, 400 * MiB, { publisher: 'mallory', need })).toBeUndefined();
  });

  it('with no loader (processes grew past the ceiling), frees from the publisher most over its share', () => {
    const loaded = [holding('b1', 'bob', 150), holding('m1', 'mallory', 200, 'busy')];
    expect(memoryToFree(loaded, 300 * MiB)).toBe('m1');
    expect(memoryToFree([holding('b1', 'bob', 150)], 100 * MiB)).toBe('b1');
  });

  it('has nothing to free when nothing holds memory', () => {
    expect(memoryToFree([], 100 * MiB, { publisher: 'bob', need })).toBeUndefined();
    expect(memoryToFree([], 100 * MiB)).toBeUndefined();
  });
});
