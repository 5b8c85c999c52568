import { KernelMemory, MAX_BLOCKS } from './kernel-memory.js';

const handle = (index: number) => BigInt(index) << 48n;

function memory(capBytes = 1024): KernelMemory {
  const m = new KernelMemory();
  m.reset(capBytes);
  return m;
}

describe('KernelMemory', () => {
  it('hands out Extism handles from index 1 and addresses bytes inside them', () => {
    const m = memory();
    const a = m.alloc(16n);
    expect(a).toBe(handle(1));
    m.storeU64(a + 8n, -1n);
    m.storeU8(a, 0x41);
    expect([m.loadU8(a), m.loadU64(a + 8n), m.length(a + 3n)]).toEqual([0x41, 2n ** 64n - 1n, 16n]);
  });

  it('finds the block of any address, past 2^53 too, and never the next one', () => {
    const m = memory();
    for (let i = 1; i <= 41; i++) m.alloc(BigInt(i));
    // Offsets past a block's end name their own block (its length), never the next one.
    for (const [address, length] of [
      [handle(41) - 1n, 40n],
      [handle(41) - 512n, 40n],
      [handle(40) + 2n ** 48n - 1n, 40n],
      [handle(2) - 1n, 1n],
      [handle(MAX_BLOCKS) - 1n, 0n],
      [-1n, 0n],
      [-(2n ** 63n), 0n],
    ] as const)
      expect([address, m.length(address)]).toEqual([address, length]);
    expect(() => m.loadU8(handle(41) - 1n)).toThrow(expect.objectContaining({ code: 'trap' }));
    m.free(handle(41) - 1n);
    expect([m.length(handle(40)), m.length(handle(41))]).toEqual([0n, 41n]);
  });

  it('resolves a handle used again and again, and every other one after it, to its own block', () => {
    const m = memory();
    const [a, b, c] = [m.alloc(8n), m.alloc(16n), m.alloc(24n)];
    for (let i = 0; i < 3; i++) expect(m.length(a)).toBe(8n); // the block found last
    expect([m.length(c), m.length(b), m.length(a + 1n), m.length(c)]).toEqual([24n, 16n, 8n, 24n]);
    m.free(c); // the newest block, gone: its handle names nothing, the others still theirs
    expect([m.length(c), m.length(a), m.length(b)]).toEqual([0n, 8n, 16n]);
    m.reset(1024); // a new call: the old handles name nothing until blocks take their indexes again
    expect([m.length(a), m.length(b)]).toEqual([0n, 0n]);
    expect(m.alloc(4n)).toBe(a);
    expect([m.length(a), m.length(b)]).toEqual([4n, 0n]);
  });

  it.each([
    ['a negative', -1n],
    ['the most negative i64', -(2n ** 63n)],
    ['a', 17n],
    ['a huge', 2n ** 60n],
  ])('traps on %s length (KernelFault, never a RangeError)', (_, length) => {
    const m = memory();
    const a = m.alloc(16n);
    expect(() => m.bytes(a, length)).toThrow(expect.objectContaining({ code: 'trap' }));
    expect(() => m.bytes(a + 8n, length)).toThrow(expect.objectContaining({ code: 'trap' }));
    expect(m.bytes(a, 16n)).toHaveLength(16);
  });

  it('refuses what does not fit, creates nothing for it and counts the refusal', () => {
    const m = memory(100);
    expect(m.alloc(60n)).toBe(handle(1));
    expect(m.alloc(41n)).toBe(0n);
    expect(m.alloc(-1n)).toBe(0n); // 2^64 - 1 bytes, not a negative size
    expect(m.alloc(40n)).toBe(handle(2)); // refusals used no index: the next block is index 2
    expect([m.usedBytes, m.refusals]).toEqual([100, 2]);
    expect(() => m.loadU8(handle(3))).toThrow(expect.objectContaining({ code: 'trap' }));
  });

  it('gives the bytes of a freed block back, and ignores forged, zero and repeated frees', () => {
    const m = memory(100);
    const a = m.alloc(100n);
    for (const forged of [0n, -1n, handle(7), handle(MAX_BLOCKS + 5)]) m.free(forged);
    expect(m.usedBytes).toBe(100);
    m.free(a);
    m.free(a);
    expect(m.usedBytes).toBe(0);
    expect(m.alloc(100n)).toBe(handle(2));
    expect(() => m.storeU8(a, 1)).toThrow(expect.objectContaining({ code: 'trap' }));
  });

  it.each([
    ['a u64 straddling the end', (m: KernelMemory, a: bigint) => m.storeU64(a + 4n, 1n)],
    ['a byte past the end', (m: KernelMemory, a: bigint) => m.loadU8(a + 8n)],
    ['a byte before the start', (m: KernelMemory, a: bigint) => m.storeU8(a - 1n, 1)],
    ['an offset at 2^48 - 1', (m: KernelMemory, a: bigint) => m.loadU64(a + (1n << 48n) - 1n)],
    ['bytes past the end', (m: KernelMemory, a: bigint) => m.bytes(a, 9n)],
    ['no block at all', (m: KernelMemory) => m.loadU8(0n)],
  ])('traps on %s', (_, access) => {
    const m = memory();
    const a = m.alloc(8n);
    expect(() => access(m, a)).toThrow(expect.objectContaining({ code: 'trap' }));
  });

  it(`stops at ${MAX_BLOCKS} blocks, where handles would turn negative`, () => {
    const m = memory(1 << 20);
    let last = 0n;
    for (let i = 1; i < MAX_BLOCKS; i++) last = m.alloc(0n);
    expect(last).toBe(handle(MAX_BLOCKS - 1));
    expect(m.alloc(0n)).toBe(0n);
  });

  it('counts the input against the cap even when it is bigger than the cap', () => {
    const m = memory(10);
    const input = m.adopt(new Uint8Array(20));
    expect([m.length(input), m.usedBytes, m.alloc(0n)]).toEqual([20n, 20, 0n]);
  });

  it('stores a copy, so the host keeps its own buffer', () => {
    const m = memory();
    const source = Uint8Array.of(1, 2, 3);
    const stored = m.store(source);
    source[0] = 9;
    expect([...m.block(stored)!]).toEqual([1, 2, 3]);
  });

  it('shares a constant between blocks until the plugin writes into one: that one gets a copy', () => {
    const m = memory(10);
    const constant = Buffer.from([1, 2, 3, 4]);
    const first = m.storeShared(constant);
    const second = m.storeShared(constant);
    m.storeU8(first + 1n, 9);
    // A write that traps copies nothing and changes nothing.
    expect(() => m.storeU64(second, 0n)).toThrow(expect.objectContaining({ code: 'trap' }));
    expect([...constant, ...m.block(first)!, ...m.block(second)!]).toEqual([
      1, 2, 3, 4, 1, 9, 3, 4, 1, 2, 3, 4,
    ]);
    expect([m.usedBytes, m.storeShared(constant)]).toEqual([8, 0n]); // counted like copies
  });
});

describe('KernelMemory with a garbage collector: what no block holds any more still counts until one runs', () => {
  function collected(capBytes: number) {
    let collections = 0;
    const m = new KernelMemory(() => void collections++);
    m.reset(capBytes);
    return { m, collections: () => collections };
  }

  it('collects before an allocation that live blocks and garbage together would push past the cap', () => {
    const { m, collections } = collected(100);
    m.free(m.alloc(60n));
    expect(collections()).toBe(0);
    // 60 bytes freed but not yet reclaimed, 60 more asked: a collection first, then the block.
    expect(m.alloc(60n)).toBe(handle(2));
    expect([collections(), m.refusals]).toEqual([1, 0]);
  });

  it('refuses, without collecting, what live blocks alone leave no room for', () => {
    const { m, collections } = collected(100);
    m.alloc(60n);
    expect(m.alloc(41n)).toBe(0n);
    expect([collections(), m.refusals]).toEqual([0, 1]);
  });

  it('counts the blocks a call leaves behind, and what the host notes, as garbage', () => {
    const { m, collections } = collected(100);
    m.alloc(50n);
    m.reset(100); // the call ended: its blocks are dropped, not yet reclaimed
    m.noteGarbage(30); // a host call's I/O buffers
    expect(m.alloc(20n)).not.toBe(0n);
    expect(collections()).toBe(0);
    expect(m.alloc(1n)).not.toBe(0n);
    expect(collections()).toBe(1);
  });

  it('counts no garbage for a shared constant: freeing or dropping it gives nothing back', () => {
    const { m, collections } = collected(100);
    const constant = Buffer.alloc(60);
    m.free(m.storeShared(constant));
    m.storeShared(constant);
    m.reset(100);
    expect(m.alloc(100n)).not.toBe(0n);
    expect(collections()).toBe(0);
  });

  it('counts a shared block the plugin wrote into as garbage once freed: it is a copy of its own', () => {
    const { m, collections } = collected(100);
    const written = m.storeShared(Buffer.alloc(60));
    m.storeU8(written, 1);
    m.free(written);
    expect(m.alloc(41n)).not.toBe(0n);
    expect(collections()).toBe(1);
  });

  it('stores a host result of text directly in a block, refusing it whole when it does not fit', () => {
    const { m } = collected(10);
    const stored = m.storeText('{"é":1}');
    expect(new TextDecoder().decode(m.block(stored)!)).toBe('{"é":1}');
    expect(m.storeText('x'.repeat(11))).toBe(0n);
    expect(m.refusals).toBe(1);
  });
});
