import { concatBytes } from './concat-bytes.js';
import { encodeU32Leb, readU32Leb } from './leb128.js';
import { SandboxError } from './sandbox-error.js';

const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/** Section ids of the WebAssembly binary format that the sandbox reads or writes. */
export const SectionId = {
  custom: 0,
  type: 1,
  import: 2,
  function: 3,
  table: 4,
  memory: 5,
  global: 6,
  export: 7,
  start: 8,
  element: 9,
  code: 10,
  data: 11,
} as const;

/** One top-level section of a module: its id and its payload. */
export interface WasmSection {
  id: number;
  payload: Uint8Array;
}

/** Splits a binary module into its sections, checking the header and every section size. */
export function readSections(bytes: Uint8Array): WasmSection[] {
  if (bytes.length < HEADER.length || HEADER.some((byte, i) => bytes[i] !== byte)) {
    throw new SandboxError('module_invalid', 'not a WebAssembly 1.0 binary module');
  }
  const sections: WasmSection[] = [];
  let at = HEADER.length;
  while (at < bytes.length) {
    const id = bytes[at];
    const size = readU32Leb(bytes, at + 1);
    const end = size.next + size.value;
    if (end > bytes.length)
      throw new SandboxError('module_invalid', `section ${id} at byte ${at} runs past the end`);
    sections.push({ id, payload: bytes.subarray(size.next, end) });
    at = end;
  }
  return sections;
}

/** Reassembles a binary module from its sections. */
export function writeSections(sections: readonly WasmSection[]): Uint8Array<ArrayBuffer> {
  const parts = sections.map(({ id, payload }) => [
    Uint8Array.of(id, ...encodeU32Leb(payload.length)),
    payload,
  ]);
  return concatBytes([Uint8Array.from(HEADER), ...parts.flat()]);
}
