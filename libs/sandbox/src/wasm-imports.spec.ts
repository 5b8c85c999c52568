import { wat } from './testing/hostile-modules.js';
import { ExternalKind, readImports } from './wasm-imports.js';
import { readSections, SectionId } from './wasm-sections.js';

async function importSection(source: string): Promise<Uint8Array> {
  const sections = readSections((await wat(source, { exceptions: true })).bytes);
  return sections.find((section) => section.id === SectionId.import)!.payload;
}

describe('readImports', () => {
  it('reads every kind of import, in order, with the type of functions and tags', async () => {
    const payload = await importSection(`(module
      (type (func)) (type (func (param i64) (result i64)))
      (import "env" "table" (table 1 10 funcref))
      (import "env" "memory" (memory 1))
      (import "extism:host/user" "echo" (func (type 1)))
      (import "env" "base" (global (mut i64)))
      (import "env" "oops" (tag (type 0))))`);
    const imports = readImports(payload);
    expect(imports).toEqual(
      [
        { module: 'env', name: 'table', kind: ExternalKind.table, typeIndex: undefined },
        { module: 'env', name: 'memory', kind: ExternalKind.memory, typeIndex: undefined },
        { module: 'extism:host/user', name: 'echo', kind: ExternalKind.function, typeIndex: 1 },
        { module: 'env', name: 'base', kind: ExternalKind.global, typeIndex: undefined },
        { module: 'env', name: 'oops', kind: ExternalKind.tag, typeIndex: 0 },
      ].map((entry) => ({ ...entry, nameAt: expect.any(Number), end: expect.any(Number) })),
    );
    // Each entry ends where the next begins; the field name follows the module name.
    expect(imports.at(-1)!.end).toBe(payload.length);
    expect(payload[imports[2].nameAt]).toBe('echo'.length);
  });

  it.each([
    ['an unknown import kind', [1, 1, 0x61, 1, 0x62, 0x07, 0]],
    ['a truncated name', [1, 5, 0x61]],
    ['trailing bytes', [1, 1, 0x61, 1, 0x62, 0x00, 0, 0xff]],
  ])('refuses %s as module_invalid', (_case, payload) => {
    expect(() => readImports(Uint8Array.from(payload))).toThrow(
      expect.objectContaining({ code: 'module_invalid' }),
    );
  });
});
