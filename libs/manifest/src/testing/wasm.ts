/** An import of a hand-assembled module: a function of the given type, or a memory. */
type WasmImport =
  | { module: string; name: string; kind: 'function'; params?: number[]; results?: number[] }
  | { module: string; name: string; kind: 'memory' };

/** The shape of a hand-assembled module; every export is a `() -> ()` function doing nothing. */
export interface WasmShape {
  imports?: WasmImport[];
  /** Function tables: initial and optional maximum entries. */
  tables?: { min: number; max?: number }[];
  /** A defined memory, in 64 KiB pages. */
  memory?: { min: number; max?: number };
  exports?: string[];
}

/** Value type codes of the Wasm binary format. */
export const I32 = 0x7f;
export const I64 = 0x7e;

const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
const FUNC_TYPE = 0x60;
const FUNCREF = 0x70;
const END = 0x0b;

const leb = (value: number): number[] =>
  value < 0x80 ? [value] : [(value % 0x80) | 0x80, ...leb(Math.floor(value / 0x80))];
const vector = (items: number[][]) => [...leb(items.length), ...items.flat()];
const name = (text: string) => vector([...Buffer.from(text, 'utf8')].map((b) => [b]));
const section = (id: number, payload: number[]) => [id, ...leb(payload.length), ...payload];
const limits = ({ min, max }: { min: number; max?: number }) =>
  max === undefined ? [0x00, ...leb(min)] : [0x01, ...leb(min), ...leb(max)];

/**
 * A valid module of exactly this shape (sections in binary order), for refusals that need a
 * precise import, table or memory declaration. Type 0 is `() -> ()`; imported function i has
 * type i + 1.
 */
export function wasmModule(shape: WasmShape): Uint8Array {
  const imports = shape.imports ?? [];
  const exports = shape.exports ?? [];
  const functionImports = imports.filter((i) => i.kind === 'function');
  const types = [
    [FUNC_TYPE, 0, 0],
    ...functionImports.map((i) => [
      FUNC_TYPE,
      ...vector((i.params ?? []).map((t) => [t])),
      ...vector((i.results ?? []).map((t) => [t])),
    ]),
  ];
  let nextType = 1;
  const bytes = [
    ...HEADER,
    ...section(1, vector(types)),
    ...(imports.length
      ? section(
          2,
          vector(
            imports.map((i) => [
              ...name(i.module),
              ...name(i.name),
              ...(i.kind === 'function' ? [0x00, ...leb(nextType++)] : [0x02, 0x00, 1]),
            ]),
          ),
        )
      : []),
    ...(exports.length ? section(3, vector(exports.map(() => [0]))) : []),
    ...(shape.tables?.length
      ? section(4, vector(shape.tables.map((t) => [FUNCREF, ...limits(t)])))
      : []),
    ...(shape.memory ? section(5, vector([limits(shape.memory)])) : []),
    ...(exports.length
      ? section(
          7,
          vector(exports.map((e, i) => [...name(e), 0x00, ...leb(functionImports.length + i)])),
        )
      : []),
    ...(exports.length ? section(10, vector(exports.map(() => [2, 0, END]))) : []),
  ];
  return Uint8Array.from(bytes);
}
