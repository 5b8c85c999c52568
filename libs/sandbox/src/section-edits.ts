import { concatBytes } from './concat-bytes.js';
import { encodeU32Leb, readU32Leb } from './leb128.js';
import { SectionId, type WasmSection } from './wasm-sections.js';

// The order non-custom sections must appear in: the tag section (13) sits between memory and
// global, the data count section (12) between element and code.
const SECTION_ORDER = [1, 2, 3, 4, 5, 13, 6, 7, 8, 9, 12, 10, 11];

/**
 * `sections` with `entries` appended to the vector of section `id` (globals, exports, ...); the
 * section is created where the binary format requires it if the module has none.
 */
export function appendEntries(
  sections: readonly WasmSection[],
  id: number,
  entries: readonly Uint8Array[],
): WasmSection[] {
  const index = sections.findIndex((section) => section.id === id);
  if (index >= 0)
    return sections.map((section, i) =>
      i === index ? { id, payload: appendToVector(section.payload, entries) } : section,
    );
  const created = { id, payload: appendToVector(Uint8Array.of(0), entries) };
  const at = insertionIndex(sections, id);
  return [...sections.slice(0, at), created, ...sections.slice(at)];
}

function appendToVector(payload: Uint8Array, entries: readonly Uint8Array[]): Uint8Array {
  const count = readU32Leb(payload, 0);
  return concatBytes([
    Uint8Array.from(encodeU32Leb(count.value + entries.length)),
    payload.subarray(count.next),
    ...entries,
  ]);
}

// Just after the last section that must precede `id`; custom sections after it stay after it.
function insertionIndex(sections: readonly WasmSection[], id: number): number {
  const rank = SECTION_ORDER.indexOf(id);
  let at = 0;
  sections.forEach((section, i) => {
    if (section.id !== SectionId.custom && SECTION_ORDER.indexOf(section.id) < rank) at = i + 1;
  });
  return at;
}
