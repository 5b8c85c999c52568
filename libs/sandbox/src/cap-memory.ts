import { encodeU32Leb, readU32Leb } from './leb128.js';
import { SandboxError } from './sandbox-error.js';
import { ExternalKind, readImports } from './wasm-imports.js';
import { readSections, SectionId, writeSections } from './wasm-sections.js';

/** The most 64 KiB pages a 32-bit linear memory can have. */
export const MAX_WASM_PAGES = 65536;

const HAS_MAX = 0x01;

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

// An imported memory is sized by whoever provides it, so no cap written into this module could bound it.
function refuseImportedMemory(payload: Uint8Array): void {
  if (readImports(payload).some((entry) => entry.kind === ExternalKind.memory))
    throw new SandboxError('module_memory_forbidden', 'imported memory is not allowed');
}
