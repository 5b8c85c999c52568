import { KernelVars } from './kernel-vars.js';

const bytes = (text: string) => new TextEncoder().encode(text);
// Each var costs its key, its value and 64 bytes.
const cost = (key: string, value: string) => key.length + value.length + 64;

describe('KernelVars', () => {
  it('keeps a copy of each value by key', () => {
    const vars = new KernelVars(1024);
    const value = bytes('v1');
    vars.set(bytes('k'), value);
    value[0] = 0;
    expect(vars.get(bytes('k'))).toEqual(bytes('v1'));
    expect(vars.get(bytes('other'))).toBeUndefined();
  });

  it('counts keys, so huge keys with empty values are refused', () => {
    const vars = new KernelVars(1024);
    expect(() => vars.set(new Uint8Array(2048), new Uint8Array(0))).toThrow(
      expect.objectContaining({ code: 'memory_limit' }),
    );
  });

  it('bounds the number of empty vars by their overhead', () => {
    const vars = new KernelVars(cost('a', '') * 3);
    for (const key of ['a', 'b', 'c']) vars.set(bytes(key), new Uint8Array(0));
    expect(() => vars.set(bytes('d'), new Uint8Array(0))).toThrow(
      expect.objectContaining({ code: 'memory_limit' }),
    );
  });

  it('gives the room of a replaced or deleted var back', () => {
    const vars = new KernelVars(cost('k', 'x'.repeat(100)));
    vars.set(bytes('k'), bytes('x'.repeat(100)));
    vars.set(bytes('k'), bytes('y'.repeat(100)));
    vars.set(bytes('k'), null);
    vars.set(bytes('j'), bytes('z'.repeat(100)));
    expect(vars.get(bytes('k'))).toBeUndefined();
  });

  it('keeps keys that differ only in invalid UTF-8 apart', () => {
    const vars = new KernelVars(1024);
    vars.set(Uint8Array.of(0xff), bytes('a'));
    vars.set(Uint8Array.of(0xfe), bytes('b'));
    expect(vars.get(Uint8Array.of(0xff))).toEqual(bytes('a'));
  });
});
