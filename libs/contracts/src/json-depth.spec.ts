import { nestsDeeperThan } from './json-depth.js';

const deeper = (text: string, max: number) => nestsDeeperThan(JSON.parse(text), max);

describe('nestsDeeperThan', () => {
  it('counts objects and arrays, the outermost as level 1', () => {
    expect(deeper('{}', 1)).toBe(false);
    expect(deeper('{"a":[1]}', 1)).toBe(true);
    expect(deeper('{"a":[1]}', 2)).toBe(false);
    expect(deeper('[[],[],[]]', 2)).toBe(false);
    expect(deeper('[[],[[]],[]]', 2)).toBe(true);
    expect(deeper('7', 0)).toBe(false);
    expect(deeper('"[[["', 0)).toBe(false);
  });

  it('finds a document 100,000 levels deep without overflowing the stack', () => {
    expect(deeper(`${'['.repeat(100_000)}${']'.repeat(100_000)}`, 64)).toBe(true);
    expect(deeper(`${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`, 64)).toBe(true);
  });
});
