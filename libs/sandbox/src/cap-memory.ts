import { encodeU32Leb, readU32Leb } from './leb128.js';
import { SandboxError } from './sandbox-error.js';
import { readSections, SectionId, writeSections } from './wasm-sections.js';

/** The most 64 KiB pages a 32-bit linear memory can have. */
export const MAX_WASM_PAGES = 65536;

const HAS_MAX = 0x01;
const IMPORT_KIND_MEMORY = 0x02;

/**
 * Rewrites the module's memory section so each memory declares a maximum of at most `maxPages`.
 * Extism does not bound linear memory, so without this a plugin can grow to 4 GiB; with it,
 * `memory.grow` fails at the cap inside the plugin.
 */
export function capMemory(bytes: Uint8Array, maxPages: number): Uint8Array<ArrayBuffer> {
  if (!Number.isInteger(maxPages) || maxPages < 0 || maxPages > MAX_WASM_PAGES) {
    throw new RangeError(`maxPages must be an integer in 0..${MAX_WASM_PAGES}, got ${maxPages}`);
  }
  const sections = readSections(bytes);
  const importSection = sections.find((section) => section.id === SectionId.import);
  if (importSection) refuseImportedMemory(importSection.payload);
  return writeSections(
    sections.map((section) =>
      section.id === SectionId.memory
        ? { id: section.id, payload: capMemorySection(section.payload, maxPages) }
        : section,
    ),
  );
}

function capMemorySection(payload: Uint8Array, maxPages: number): Uint8Array {
  const count = readU32Leb(payload, 0);
  const out = [...encodeU32Leb(count.value)];
  let at = count.next;
  for (let index = 0; index < count.value; index++) {
    const flags = readU32Leb(payload, at);
    if (flags.value & ~HAS_MAX)
      throw new SandboxError('module_memory_forbidden', describeUnsupported(index, flags.value));
    const min = readU32Leb(payload, flags.next);
    at = min.next;
    let max = MAX_WASM_PAGES;
    if (flags.value & HAS_MAX) {
      const declared = readU32Leb(payload, at);
      max = declared.value;
      at = declared.next;
    }
    if (min.value > maxPages) {
      throw new SandboxError(
        'module_memory_forbidden',
        `memory ${index} needs ${min.value} pages, the cap is ${maxPages}`,
      );
    }
    out.push(HAS_MAX, ...encodeU32Leb(min.value), ...encodeU32Leb(Math.min(max, maxPages)));
  }
  if (at !== payload.length)
    throw new SandboxError('module_invalid', 'memory section has trailing bytes');
  return Uint8Array.from(out);
}

function describeUnsupported(index: number, flags: number): string {
  const kind = flags & 0x04 ? '64-bit' : flags & 0x02 ? 'shared' : `flags 0x${flags.toString(16)}`;
  return `memory ${index} is ${kind}; only unshared 32-bit memory is allowed`;
}

// Walks the import section only far enough to find a memory import; an imported memory is sized by
// whoever provides it, so no cap written into this module could bound it.
function refuseImportedMemory(payload: Uint8Array): void {
  const count = readU32Leb(payload, 0);
  let at = count.next;
  for (let index = 0; index < count.value; index++) {
    at = skipName(payload, skipName(payload, at));
    const kind = payload[at] ?? -1;
    if (kind === IMPORT_KIND_MEMORY)
      throw new SandboxError('module_memory_forbidden', 'imported memory is not allowed');
    at = skipImportDescriptor(payload, kind, at + 1);
  }
}

function skipName(payload: Uint8Array, at: number): number {
  const length = readU32Leb(payload, at);
  return length.next + length.value;
}

function skipImportDescriptor(payload: Uint8Array, kind: number, at: number): number {
  switch (kind) {
    case 0x00: // function: type index
      return readU32Leb(payload, at).next;
    case 0x01: // table: reference type, limits
      return skipLimits(payload, at + 1);
    case 0x03: // global: value type, mutability
      return at + 2;
    case 0x04: // tag: attribute, type index
      return readU32Leb(payload, at + 1).next;
    default:
      throw new SandboxError('module_invalid', `unknown import kind ${kind}`);
  }
}

function skipLimits(payload: Uint8Array, at: number): number {
  const flags = readU32Leb(payload, at);
  const min = readU32Leb(payload, flags.next);
  return flags.value & HAS_MAX ? readU32Leb(payload, min.next).next : min.next;
}
