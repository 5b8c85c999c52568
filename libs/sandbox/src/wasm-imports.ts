import { readU32Leb } from './leb128.js';
import { SandboxError } from './sandbox-error.js';
import { readValueType } from './wasm-types.js';

/** What an import or export refers to, as the binary format encodes it. */
export const ExternalKind = { function: 0, table: 1, memory: 2, global: 3, tag: 4 } as const;

/** One entry of the import section; `typeIndex` is set for functions and tags. */
export interface WasmImport {
  module: string;
  name: string;
  kind: number;
  typeIndex?: number;
  /** Where the entry's field name starts and where the entry ends, in the section payload. */
  nameAt: number;
  end: number;
}

const HAS_MAX = 0x01;
const utf8 = new TextDecoder();

/** The entries of an import section, in import order (which is index order within each kind). */
export function readImports(payload: Uint8Array): WasmImport[] {
  const count = readU32Leb(payload, 0);
  const imports: WasmImport[] = [];
  let at = count.next;
  for (let index = 0; index < count.value; index++) {
    const module = readName(payload, at);
    const name = readName(payload, module.next);
    const kind = name.next < payload.length ? payload[name.next] : -1;
    const descriptor = readDescriptor(payload, kind, name.next + 1);
    imports.push({
      module: module.text,
      name: name.text,
      kind,
      typeIndex: descriptor.typeIndex,
      nameAt: module.next,
      end: descriptor.next,
    });
    at = descriptor.next;
  }
  if (at !== payload.length)
    throw new SandboxError('module_invalid', 'import section has trailing bytes');
  return imports;
}

function readName(payload: Uint8Array, at: number): { text: string; next: number } {
  const length = readU32Leb(payload, at);
  const end = length.next + length.value;
  if (end > payload.length) throw new SandboxError('module_invalid', 'truncated import name');
  return { text: utf8.decode(payload.subarray(length.next, end)), next: end };
}

function readDescriptor(
  payload: Uint8Array,
  kind: number,
  at: number,
): { typeIndex?: number; next: number } {
  switch (kind) {
    case ExternalKind.function: {
      const type = readU32Leb(payload, at);
      return { typeIndex: type.value, next: type.next };
    }
    case ExternalKind.table:
      return { next: skipLimits(payload, readValueType(payload, at).next) };
    case ExternalKind.memory:
      return { next: skipLimits(payload, at) };
    case ExternalKind.global:
      return { next: readValueType(payload, at).next + 1 };
    case ExternalKind.tag: {
      const type = readU32Leb(payload, at + 1);
      return { typeIndex: type.value, next: type.next };
    }
    default:
      throw new SandboxError('module_invalid', `unknown import kind ${kind}`);
  }
}

function skipLimits(payload: Uint8Array, at: number): number {
  const flags = readU32Leb(payload, at);
  const min = readU32Leb(payload, flags.next);
  return flags.value & HAS_MAX ? readU32Leb(payload, min.next).next : min.next;
}
