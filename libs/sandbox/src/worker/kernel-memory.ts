import { KernelFault } from './kernel-fault.js';

const INDEX_SHIFT = 48n;
const NO_VIEW: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));
const MAX_SAFE_SIZE = BigInt(Number.MAX_SAFE_INTEGER);
const OFFSET_MASK = (1n << INDEX_SHIFT) - 1n;
/** Indexes from here on make negative i64 addresses, which Extism PDKs do not expect. */
export const MAX_BLOCKS = 32768;

/**
 * The plugin's Extism memory: blocks addressed as Extism does (`index << 48 | offset`, 0 is no
 * block). Unlike the SDK's, a block exists only once it fits: a refused alloc creates nothing,
 * so no address reaches it. The live blocks never hold more than the call's cap; indexes are
 * not reused within a call, so a stale handle never reaches another block.
 *
 * With `collectGarbage` (a full garbage collection of the worker), memory nothing refers to any
 * more still counts until it is reclaimed: freed and dropped blocks, and the I/O buffers the host
 * notes for each host call. When live blocks and that garbage together would pass the cap, the
 * collection runs first, so a plugin allocating and freeing as fast as it can never holds more
 * than the cap of block memory (ArrayBuffers are reclaimed only by a collection, and V8 starts
 * one on its own only well past that).
 *
 * A block made by {@link storeShared} holds bytes the host keeps for every call that gets them (a
 * constant result): it counts against the cap like a copy, and is copied only when the plugin
 * first writes into it. Views this class hands out (`block`, `bytes`) are for reading.
 */
export class KernelMemory {
  private blocks: (Buffer | null)[] = [null];
  // 1 at the index of a shared block; written for every index as its block is added.
  private readonly shared = new Uint8Array(MAX_BLOCKS);
  private sharedBytes = 0;
  // 64-bit loads and stores go through a DataView over the whole ArrayBuffer of the last block
  // they touched (small blocks share the pool's), not one made per block or per access.
  private view = NO_VIEW;
  private liveBytes = 0;
  private garbageBytes = 0;
  private capBytes = 0;
  private refused = 0;
  // The index of the block found last by address: a handle used again and again (a plugin's
  // input to many host calls) is matched by one comparison, not decoded.
  private lastFound = 0;

  constructor(private readonly collectGarbage?: () => void) {}

  /** Drops every block and starts a call with a cap of `capBytes` on the live blocks. */
  reset(capBytes: number): void {
    this.noteGarbage(this.liveBytes - this.sharedBytes);
    this.sharedBytes = 0;
    this.blocks = [null];
    this.view = NO_VIEW;
    this.liveBytes = 0;
    this.capBytes = capBytes;
    this.refused = 0;
  }

  /** Allocations refused since the last reset. */
  get refusals(): number {
    return this.refused;
  }

  get usedBytes(): number {
    return this.liveBytes;
  }

  /** A new zeroed block of `size` bytes, or 0n (counted as a refusal) if it does not fit. */
  alloc(size: bigint): bigint {
    const bytes = BigInt.asUintN(64, size);
    // A size past 2^53 is past any cap; as a number it would lose precision.
    if (!this.fits(bytes > MAX_SAFE_SIZE ? Infinity : Number(bytes))) return 0n;
    return this.add(Buffer.alloc(Number(bytes)));
  }

  /** A new block holding a copy of `bytes`, or 0n if it does not fit. */
  store(bytes: Uint8Array): bigint {
    if (!this.fits(bytes.length)) return 0n;
    // A small copy comes from Node's buffer pool, not an ArrayBuffer of its own (not
    // bytes.slice() either: on a Buffer that is a view of the same memory).
    const copy = Buffer.allocUnsafe(bytes.length);
    copy.set(bytes);
    return this.add(copy);
  }

  /**
   * A new block reading `bytes`, which the caller never changes (not copied unless the plugin
   * writes into the block), or 0n if it does not fit.
   */
  storeShared(bytes: Buffer): bigint {
    if (!this.fits(bytes.length)) return 0n;
    this.sharedBytes += bytes.length;
    return this.add(bytes, 1);
  }

  /** A new block holding `text` as UTF-8, encoded in place (no copy), or 0n if it does not fit. */
  storeText(text: string): bigint {
    const length = Buffer.byteLength(text, 'utf8');
    if (!this.fits(length)) return 0n;
    // From Node's buffer pool when small; write fills every byte.
    const block = Buffer.allocUnsafe(length);
    block.write(text, 'utf8');
    return this.add(block);
  }

  /** Counts `bytes` the host allocated and dropped (a host call's I/O buffers) until a collection. */
  noteGarbage(bytes: number): void {
    if (this.collectGarbage) this.garbageBytes += bytes;
  }

  /** Adds `bytes` (owned from now on) even past the cap: for the host's own input. */
  adopt(bytes: Uint8Array): bigint {
    return this.add(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }

  /** Frees the block `address` points into; anything else (0, a freed or forged handle) is ignored. */
  free(address: bigint): void {
    const index = this.indexOf(address);
    const block = this.blocks[index];
    if (!block) return;
    this.liveBytes -= block.byteLength;
    if (this.shared[index]) this.sharedBytes -= block.byteLength;
    else this.noteGarbage(block.byteLength);
    this.blocks[index] = null;
    if (this.view.buffer === block.buffer) this.view = NO_VIEW; // nothing keeps it from a collection
  }

  /** The block `address` points into, as it is held (for reading: it may be shared), or null. */
  buffer(address: bigint): Buffer | null {
    return this.blocks[this.indexOf(address)] ?? null;
  }

  /** The whole block `address` points into (Extism ignores the offset here), or null. */
  block(address: bigint): Uint8Array | null {
    const block = this.blocks[this.indexOf(address)];
    return block ? new Uint8Array(block.buffer, block.byteOffset, block.byteLength) : null;
  }

  /**
   * The block `address` points into decoded as UTF-8 (malformed sequences replaced), at most its
   * first `maxBytes`; null when there is no block.
   */
  text(address: bigint, maxBytes = Infinity): string | null {
    const block = this.blocks[this.indexOf(address)];
    return block ? block.toString('utf8', 0, Math.min(maxBytes, block.length)) : null;
  }

  /**
   * `length` bytes at `address`, which must lie inside one live block. The length is an i64 from
   * Wasm, read unsigned as Extism does: a negative one is a huge one, and traps.
   */
  bytes(address: bigint, length: bigint): Uint8Array {
    const width = BigInt.asUintN(64, length);
    const { block, offset } = this.locate(address, width);
    return new Uint8Array(block.buffer, block.byteOffset + offset, Number(width));
  }

  /** Bytes of the block `address` points into; 0 when there is none. */
  length(address: bigint): bigint {
    return BigInt(this.blocks[this.indexOf(address)]?.length ?? 0);
  }

  loadU8(address: bigint): number {
    const { block, offset } = this.locate(address, 1n);
    return block[offset];
  }

  loadU64(address: bigint): bigint {
    const { block, offset } = this.locate(address, 8n);
    return this.viewOf(block).getBigUint64(block.byteOffset + offset, true);
  }

  storeU8(address: bigint, value: number): void {
    const { block, offset } = this.locateWritable(address, 1n);
    block[offset] = value;
  }

  storeU64(address: bigint, value: bigint): void {
    const { block, offset } = this.locateWritable(address, 8n);
    this.viewOf(block).setBigUint64(block.byteOffset + offset, value, true);
  }

  /**
   * The index `address` names. Most handles are a block's own address, as `alloc` made it (offset
   * 0): the block found last and the newest block are tried by value first (a BigInt comparison,
   * where decoding the index takes a shift and a conversion to a number, each allocating).
   * Either way the index is the one the address's top 16 bits give.
   */
  private indexOf(address: bigint): number {
    if (address === addresses[this.lastFound]) return this.lastFound;
    const newest = this.blocks.length - 1;
    if (address === addresses[newest]) return newest;
    return (this.lastFound = decodeIndex(address));
  }

  private fits(bytes: number): boolean {
    if (bytes > this.capBytes - this.liveBytes || this.blocks.length >= MAX_BLOCKS) {
      this.refused++;
      return false;
    }
    if (bytes > this.capBytes - this.liveBytes - this.garbageBytes) {
      this.collectGarbage?.();
      this.garbageBytes = 0;
    }
    return true;
  }

  private add(bytes: Buffer, shared: 0 | 1 = 0): bigint {
    const index = this.blocks.length;
    this.blocks.push(bytes);
    this.shared[index] = shared;
    this.liveBytes += bytes.length;
    return addressOf(index);
  }

  private viewOf(block: Buffer): DataView {
    if (this.view.buffer !== block.buffer) this.view = new DataView(block.buffer);
    return this.view;
  }

  // A shared block is replaced by a copy of its own before the plugin's first write into it.
  private locateWritable(address: bigint, width: bigint): { block: Buffer; offset: number } {
    const located = this.locate(address, width);
    const index = this.indexOf(address);
    if (!this.shared[index]) return located;
    const copy = Buffer.allocUnsafe(located.block.length);
    copy.set(located.block);
    this.blocks[index] = copy;
    this.shared[index] = 0;
    this.sharedBytes -= copy.length;
    return { block: copy, offset: located.offset };
  }

  private locate(address: bigint, width: bigint): { block: Buffer; offset: number } {
    const block = this.blocks[this.indexOf(address)];
    const offset = BigInt.asUintN(64, address) & OFFSET_MASK;
    if (!block) throw new KernelFault('trap', `no Extism memory block at ${hex(address)}`);
    if (offset + width > BigInt(block.byteLength))
      throw new KernelFault(
        'trap',
        `${width} bytes at ${hex(address)} run past the end of its ${block.byteLength}-byte block`,
      );
    return { block, offset: Number(offset) };
  }
}

// The top 16 bits of the address as an i64 (what Wasm passes: negative when the top bit is set).
const decodeIndex = (address: bigint): number => Number(address >> INDEX_SHIFT) & 0xffff;

// Addresses are immutable BigInts: each is made once, not at every allocation of every call.
const addresses: bigint[] = [];
const addressOf = (index: number): bigint => (addresses[index] ??= BigInt(index) << INDEX_SHIFT);

const hex = (address: bigint) => `0x${BigInt.asUintN(64, address).toString(16).padStart(16, '0')}`;
