import { readSignedLeb, readU32Leb } from './leb128.js';
import { Immediate, MISC, OPCODES, SIMD } from './opcode-immediates.js';
import { SandboxError } from './sandbox-error.js';
import { isValueType, readValueType } from './wasm-types.js';

const EMPTY_BLOCK = 0x40;
const MISC_PREFIX = 0xfc;
// Memory-argument alignments with this bit carry a memory index (multi-memory, not in Node 20).
const MEMORY_INDEX_FLAG = 0x40;
// ref.null of funcref, externref, exnref.
const HEAP_TYPES = new Set([0x70, 0x6f, 0x69]);
// try_table catch clauses: catch and catch_ref name a tag and a label, catch_all(_ref) a label.
const CATCH_ALL = 0x02;
const CATCH_ALL_REF = 0x03;

/**
 * The offset just past the instruction at `at` of a function body. Knows the immediates of every
 * opcode in {@link OPCODES}; anything else, or an instruction cut short, is `module_invalid`.
 */
export function instructionEnd(body: Uint8Array, at: number): number {
  const opcode = body[at];
  const immediate = OPCODES[opcode] as Immediate;
  if (immediate !== Immediate.Prefix) return immediateEnd(body, at, at + 1, immediate);
  const sub = readU32Leb(body, at + 1);
  const table = opcode === MISC_PREFIX ? MISC : SIMD;
  const subImmediate = sub.value < table.length ? table[sub.value] : Immediate.Unsupported;
  return immediateEnd(body, at, sub.next, subImmediate as Immediate);
}

// `at` is where the instruction starts, for error messages; `next` where its immediates start.
function immediateEnd(body: Uint8Array, at: number, next: number, immediate: Immediate): number {
  switch (immediate) {
    case Immediate.Unsupported:
    case Immediate.Prefix:
      throw refused(body, at, 'unsupported');
    case Immediate.None:
      return next;
    case Immediate.Index:
      return u32End(body, next);
    case Immediate.TwoIndices:
      return u32End(body, u32End(body, next));
    case Immediate.BlockType:
      return blockTypeEnd(body, next);
    case Immediate.BranchTable:
      return branchTableEnd(body, next);
    case Immediate.MemArg:
      return memArgEnd(body, at, next);
    case Immediate.I32:
      return readSignedLeb(body, next, 32).next;
    case Immediate.I64:
      return readSignedLeb(body, next, 64).next;
    case Immediate.Bytes4:
      return fixedEnd(body, at, next, 4);
    case Immediate.Bytes8:
      return fixedEnd(body, at, next, 8);
    case Immediate.Bytes16:
      return fixedEnd(body, at, next, 16);
    case Immediate.Lane:
      return fixedEnd(body, at, next, 1);
    case Immediate.MemArgLane:
      return fixedEnd(body, at, memArgEnd(body, at, next), 1);
    case Immediate.ValueTypes:
      return valueTypesEnd(body, next);
    case Immediate.HeapType:
      if (!HEAP_TYPES.has(body[fixedEnd(body, at, next, 1) - 1]))
        throw refused(body, at, 'unsupported heap type in');
      return next + 1;
    case Immediate.TryTable:
      return catchClausesEnd(body, at, blockTypeEnd(body, next));
  }
}

const u32End = (body: Uint8Array, at: number) => readU32Leb(body, at).next;

function fixedEnd(body: Uint8Array, at: number, next: number, length: number): number {
  if (next + length > body.length) throw refused(body, at, 'truncated');
  return next + length;
}

/** The offset past a block type: empty, one value type, or a non-negative s33 type index. */
function blockTypeEnd(body: Uint8Array, at: number): number {
  if (at >= body.length) throw new SandboxError('module_invalid', 'truncated block type');
  if (body[at] === EMPTY_BLOCK || isValueType(body[at])) return at + 1;
  const type = readSignedLeb(body, at, 33);
  if (type.value < 0)
    throw new SandboxError('module_invalid', `unsupported block type ${hex(body[at])}`);
  return type.next;
}

function branchTableEnd(body: Uint8Array, at: number): number {
  const labels = readU32Leb(body, at);
  let next = labels.next;
  // The targets, then the default.
  for (let i = 0; i <= labels.value; i++) next = u32End(body, next);
  return next;
}

function memArgEnd(body: Uint8Array, at: number, next: number): number {
  const align = readU32Leb(body, next);
  if (align.value & MEMORY_INDEX_FLAG) throw refused(body, at, 'unsupported memory index in');
  return u32End(body, align.next);
}

function valueTypesEnd(body: Uint8Array, at: number): number {
  const types = readU32Leb(body, at);
  let next = types.next;
  for (let i = 0; i < types.value; i++) next = readValueType(body, next).next;
  return next;
}

function catchClausesEnd(body: Uint8Array, at: number, next: number): number {
  const clauses = readU32Leb(body, next);
  let end = clauses.next;
  for (let i = 0; i < clauses.value; i++) {
    const kind = body[fixedEnd(body, at, end, 1) - 1];
    if (kind > CATCH_ALL_REF) throw refused(body, at, `catch clause ${hex(kind)} in`);
    end = kind >= CATCH_ALL ? u32End(body, end + 1) : u32End(body, u32End(body, end + 1));
  }
  return end;
}

function refused(body: Uint8Array, at: number, what: string): SandboxError {
  const opcode = body[at];
  const sub = OPCODES[opcode] === Immediate.Prefix ? ` ${hex(readU32Leb(body, at + 1).value)}` : '';
  return new SandboxError('module_invalid', `${what} instruction ${hex(opcode)}${sub}`);
}

const hex = (byte: number) => `0x${byte.toString(16).padStart(2, '0')}`;
