import { readFunctionTypes } from './wasm-types.js';

describe('readFunctionTypes', () => {
  it('reads function types by index', () => {
    const payload = [2, 0x60, 0, 0, 0x60, 2, 0x7e, 0x7b, 1, 0x6f];
    expect(readFunctionTypes(Uint8Array.from(payload))).toEqual([
      { params: [], results: [] },
      { params: [0x7e, 0x7b], results: [0x6f] },
    ]);
  });

  it.each([
    ['a GC recursion group', [1, 0x4e, 1, 0x60, 0, 0], 'only function types'],
    ['a typed reference', [1, 0x60, 1, 0x63, 0x70, 0], 'unsupported value type 0x63'],
    ['a truncated section', [2, 0x60, 0, 0], 'truncated type section'],
    ['trailing bytes', [1, 0x60, 0, 0, 0], 'trailing bytes'],
  ])('refuses %s as module_invalid', (_case, payload, message) => {
    expect(() => readFunctionTypes(Uint8Array.from(payload))).toThrow(
      expect.objectContaining({
        code: 'module_invalid',
        message: expect.stringContaining(message),
      }),
    );
  });
});
