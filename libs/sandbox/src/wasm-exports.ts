import { readU32Leb } from './leb128.js';
import { SandboxError } from './sandbox-error.js';

/** One entry of the export section. */
export interface WasmExport {
  name: string;
  kind: number;
  index: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The entries of an export section, in order. */
export function readExports(payload: Uint8Array): WasmExport[] {
  const count = readU32Leb(payload, 0);
  const exports: WasmExport[] = [];
  let at = count.next;
  for (let i = 0; i < count.value; i++) {
    const length = readU32Leb(payload, at);
    const end = length.next + length.value;
    if (end >= payload.length) throw new SandboxError('module_invalid', 'truncated export section');
    let name: string;
    try {
      name = utf8.decode(payload.subarray(length.next, end));
    } catch {
      throw new SandboxError('module_invalid', `export ${i} has a name that is not UTF-8`);
    }
    const index = readU32Leb(payload, end + 1);
    exports.push({ name, kind: payload[end], index: index.value });
    at = index.next;
  }
  if (at !== payload.length)
    throw new SandboxError('module_invalid', 'export section has trailing bytes');
  return exports;
}
