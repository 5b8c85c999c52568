import { slotToFree } from './loaded-slots.js';

describe('slotToFree', () => {
  const holders = (...entries: [string, string][]) => entries;

  it('frees the least recently used slot while no publisher holds more than its share', () => {
    expect(slotToFree(holders(['b1', 'bob'], ['m1', 'mallory']), 'carol', 2)).toBe('b1');
  });

  it("frees a publisher's own slot once it holds its share, never another's", () => {
    const loaded = holders(['b1', 'bob'], ['m1', 'mallory'], ['m2', 'mallory']);
    expect(slotToFree(loaded, 'mallory', 2)).toBe('m1');
  });

  it('takes back first what a publisher holds past its share', () => {
    const loaded = holders(['b1', 'bob'], ['m1', 'mallory'], ['m2', 'mallory'], ['m3', 'mallory']);
    expect(slotToFree(loaded, 'carol', 2)).toBe('m1');
    expect(slotToFree(loaded, 'bob', 2)).toBe('m1');
  });

  it('has nothing to free when nothing is loaded', () => {
    expect(slotToFree(holders(), 'bob', 1)).toBeUndefined();
  });
});
