// Exports the benchmarks measure: a no-op, a CPU-bound loop, and 100 cheap host calls.
import { Host, Memory } from '@extism/as-pdk';
import { free } from '@extism/as-pdk/lib/env';
import './abort';

@external('extism:host/user', 'log')
declare function host_log(offset: u64): u64;

/** Does nothing: the cost of a call itself. */
export function noop(): i32 {
  return 0;
}

/** Pure computation (no host calls): a few million loop iterations. */
export function cpu_loop(): i32 {
  let x: u32 = 1;
  for (let i = 0; i < 5_000_000; i++) x = x * 1664525 + 1013904223;
  Host.outputString(x.toString());
  return 0;
}

/** 100 host calls of `log`, each a small JSON document in and out. */
export function hostcalls100(): i32 {
  const line = Memory.allocateString('{"level":"debug","message":"tick"}');
  for (let i = 0; i < 100; i++) {
    const reply = host_log(line.offset);
    free(reply);
  }
  line.free();
  return 0;
}

/** A typical CPU-bound job: CRC-32 (table-driven) of 1 MiB. */
export function crc32_1mib(): i32 {
  const table = new StaticArray<u32>(256);
  for (let n: u32 = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  const data = new Uint8Array(1 << 20);
  let seed: u32 = 7;
  for (let i = 0; i < data.length; i++) {
    seed = seed * 1664525 + 1013904223;
    data[i] = <u8>(seed >>> 24);
  }
  let crc: u32 = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  Host.outputString((crc ^ 0xffffffff).toString());
  return 0;
}
