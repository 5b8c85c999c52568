import { capMemory } from './cap-memory.js';
import { SandboxError, type SandboxErrorCode } from './sandbox-error.js';
import { readWasmFixture } from './testing/plugin-fixtures.js';
import {
  moduleImportingFunction,
  moduleImportingMemory,
  moduleWithMemory,
  wasmModule,
} from './testing/wasm-builder.js';
import { readSections, SectionId } from './wasm-sections.js';

function memoryPayload(bytes: Uint8Array): number[] {
  return [...(readSections(bytes).find((s) => s.id === SectionId.memory)?.payload ?? [])];
}

function codeOf(run: () => unknown): SandboxErrorCode | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof SandboxError) return error.code;
    throw error;
  }
  return undefined;
}

describe('capMemory', () => {
  // memory section payload = [count, flags, min, max?]; all integers LEB128
  it.each([
    ['adds the cap as maximum when none is declared', [1, 0x00, 2], 10, [1, 0x01, 2, 10]],
    ['lowers a maximum above the cap', [1, 0x01, 2, 0x80, 0x02], 16, [1, 0x01, 2, 16]],
    ['keeps a maximum below the cap', [1, 0x01, 1, 4], 16, [1, 0x01, 1, 4]],
    ['allows min equal to the cap', [1, 0x00, 16], 16, [1, 0x01, 16, 16]],
    [
      'reads padded LEB128 and writes multi-byte caps',
      [1, 0x00, 0x81, 0x80, 0x80, 0x80, 0x00],
      300,
      [1, 0x01, 1, 0xac, 0x02],
    ],
    ['writes the largest cap', [1, 0x00, 0], 65536, [1, 0x01, 0, 0x80, 0x80, 0x04]],
  ])('%s', (_case, payload, cap, expected) => {
    const capped = capMemory(moduleWithMemory(payload), cap);
    expect(memoryPayload(capped)).toEqual(expected);
    expect(WebAssembly.validate(capped)).toBe(true);
  });

  it.each<[string, Uint8Array, SandboxErrorCode]>([
    ['shared memory', moduleWithMemory([1, 0x03, 1, 2]), 'module_memory_forbidden'],
    ['64-bit memory', moduleWithMemory([1, 0x04, 1]), 'module_memory_forbidden'],
    ['min above the cap', moduleWithMemory([1, 0x00, 17]), 'module_memory_forbidden'],
    ['imported memory', moduleImportingMemory(), 'module_memory_forbidden'],
    ['a truncated limit', moduleWithMemory([1, 0x01, 0x80]), 'module_invalid'],
    [
      'a limit wider than 32 bits',
      moduleWithMemory([1, 0x00, 0xff, 0xff, 0xff, 0xff, 0x1f]),
      'module_invalid',
    ],
    ['trailing bytes in the section', moduleWithMemory([1, 0x00, 1, 0xff]), 'module_invalid'],
    [
      'a section running past the end',
      Uint8Array.from([...wasmModule(), SectionId.memory, 10, 1]),
      'module_invalid',
    ],
    [
      'bytes that are not wasm',
      new TextEncoder().encode('#!/bin/sh\necho pwned'),
      'module_invalid',
    ],
  ])('refuses %s', (_case, bytes, code) => {
    expect(codeOf(() => capMemory(bytes, 16))).toBe(code);
  });

  it('leaves a module without memory unchanged', () => {
    const bytes = moduleImportingFunction('extism:host/env', 'alloc');
    expect(capMemory(bytes, 16)).toEqual(bytes);
  });

  it('makes memory.grow fail at the cap', async () => {
    const { instance } = await WebAssembly.instantiate(
      capMemory(moduleWithMemory([1, 0x00, 1]), 4),
    );
    const memory = instance.exports.memory as WebAssembly.Memory;
    expect(memory.grow(3)).toBe(1);
    expect(() => memory.grow(1)).toThrow(RangeError);
  });

  it('keeps an AssemblyScript plugin valid', () => {
    expect(WebAssembly.validate(capMemory(readWasmFixture('fixtures.wasm').bytes, 256))).toBe(true);
  });

  it('refuses a cap outside the 32-bit page range', () => {
    expect(() => capMemory(moduleWithMemory([1, 0x00, 0]), 65537)).toThrow(RangeError);
  });
});
