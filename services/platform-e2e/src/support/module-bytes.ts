// WebAssembly modules built byte by byte, for shapes a WAT assembler takes too long to write or
// parse: megabytes of code, millions of nested blocks, tens of thousands of locals.

export const MiB = 1024 * 1024;

const leb = (value: number) => {
  const out: number[] = [];
  let n = value;
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
};
const str = (s: string) => [...leb(Buffer.byteLength(s)), ...Buffer.from(s)];
const section = (id: number, payload: Buffer) =>
  Buffer.concat([Buffer.from([id, ...leb(payload.length)]), payload]);
const vec = (items: Buffer[]) => Buffer.concat([Buffer.from(leb(items.length)), ...items]);

/** A module of functions `(param i32) (result i32)` with these bodies, exporting `run` (function 0). */
function moduleOf(bodies: Buffer[]): Buffer {
  const type = Buffer.from([0x60, 1, 0x7f, 1, 0x7f]);
  return Buffer.concat([
    Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]),
    section(1, vec([type])),
    section(3, vec(bodies.map(() => Buffer.from([0])))),
    section(5, vec([Buffer.from([0, 1])])),
    section(7, vec([Buffer.from([...str('memory'), 2, 0]), Buffer.from([...str('run'), 0, 0])])),
    section(10, vec(bodies.map((b) => Buffer.concat([Buffer.from(leb(b.length)), b])))),
  ]);
}

/** A body: `locals`, `count` times `unit`, then `i32.const 0 end`. */
function body(unit: number[], count: number, locals: number[] = [0]): Buffer {
  const out = Buffer.alloc(locals.length + count * unit.length + 3);
  out.set(locals, 0);
  for (let i = 0; i < count; i++) out.set(unit, locals.length + i * unit.length);
  out.set([0x41, 0, 0x0b], out.length - 3);
  return out;
}

/** `local.get 0` three times, then `memory.fill`: the instruction metering grows most. */
export const FILL = [0x20, 0, 0x20, 0, 0x20, 0, 0xfc, 0x0b, 0x00];
/** An empty `loop ... end`: each gets a fuel check. */
export const LOOP = [0x03, 0x40, 0x0b];

/** A module of `totalBytes` of `unit` in functions of `perFunction` bytes. */
export function repeated(unit: number[], totalBytes: number, perFunction: number): Buffer {
  const bodies: Buffer[] = [];
  for (let size = 0; size < totalBytes; size += perFunction)
    bodies.push(body(unit, Math.floor(Math.min(perFunction, totalBytes - size) / unit.length)));
  return moduleOf(bodies);
}

/** A module whose one function nests `depth` empty blocks. */
export function nestedBlocks(depth: number): Buffer {
  const out = Buffer.alloc(1 + depth * 3 + 3);
  for (let i = 0; i < depth; i++) out.set([0x02, 0x40], 1 + 2 * i);
  out.fill(0x0b, 1 + 2 * depth, 1 + 3 * depth);
  out.set([0x41, 0, 0x0b], 1 + 3 * depth);
  return moduleOf([out]);
}

/** A module whose one function declares `count` locals of type v128. */
export const v128Locals = (count: number): Buffer =>
  moduleOf([body([], 0, [1, ...leb(count), 0x7b])]);

/** A module whose one function declares `count` i32 locals and has `ifs` ifs one after another. */
export const localsAcrossIfs = (count: number, ifs: number): Buffer =>
  moduleOf([body([0x20, 0, 0x04, 0x40, 0x0b], ifs, [1, ...leb(count), 0x7f])]);

/** A module whose one function declares `count` i32 locals and nests `loops` loops. */
export function localsInLoops(count: number, loops: number): Buffer {
  const code = Buffer.alloc(3 * loops);
  for (let i = 0; i < loops; i++) code.set([0x03, 0x40], 2 * i);
  code.fill(0x0b, 2 * loops);
  return moduleOf([
    Buffer.concat([Buffer.from([1, ...leb(count), 0x7f]), code, Buffer.from([0x41, 0, 0x0b])]),
  ]);
}
