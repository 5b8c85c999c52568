// Hand-assembled modules for tests that need a precise binary shape.
import { SectionId, writeSections, type WasmSection } from '../wasm-sections.js';

const SECTION_TYPE = 1;
const SECTION_EXPORT = 7;

/** A module made of the given raw sections. */
export function wasmModule(...sections: WasmSection[]): Uint8Array<ArrayBuffer> {
  return writeSections(sections);
}

/** A section with a raw payload. */
export function section(id: number, payload: number[]): WasmSection {
  return { id, payload: Uint8Array.from(payload) };
}

function name(text: string): number[] {
  const bytes = [...new TextEncoder().encode(text)];
  return [bytes.length, ...bytes];
}

/** A module importing one `() -> ()` function `namespace`.`field`. */
export function moduleImportingFunction(namespace: string, field: string): Uint8Array<ArrayBuffer> {
  return wasmModule(
    section(SECTION_TYPE, [1, 0x60, 0, 0]),
    section(SectionId.import, [1, ...name(namespace), ...name(field), 0x00, 0]),
  );
}

/** A module importing its memory (with min 1) from `env`.`memory`. */
export function moduleImportingMemory(): Uint8Array<ArrayBuffer> {
  return wasmModule(
    section(SectionId.import, [1, ...name('env'), ...name('memory'), 0x02, 0x00, 1]),
  );
}

/** A module with the given raw memory-section payload, exporting memory 0 as `memory`. */
export function moduleWithMemory(memoryPayload: number[]): Uint8Array<ArrayBuffer> {
  return wasmModule(
    section(SectionId.memory, memoryPayload),
    section(SECTION_EXPORT, [1, ...name('memory'), 0x02, 0]),
  );
}
