import { encodeU32Leb, readU32Leb } from './leb128.js';
import { SandboxError } from './sandbox-error.js';

const FUNCREF = 0x70;
const EXTERNREF = 0x6f;
const HAS_MAX = 0x01;

/** The most entries a table may declare or grow to (ADR 0003); a table without a maximum gets it. */
export const MAX_TABLE_ENTRIES = 100_000;

/** One table of a table section: its element type and its limits in entries. */
export interface WasmTable {
  refType: number;
  min: number;
  /** Absent when the module declares none: the table may then grow as far as the engine lets it. */
  max?: number;
}

/**
 * The tables of a table section. Only what Node 20 runs is accepted: funcref or externref
 * elements, 32-bit limits. Table64 and tables with an initializer expression are `module_invalid`.
 */
export function readTables(payload: Uint8Array): WasmTable[] {
  const count = readU32Leb(payload, 0);
  const tables: WasmTable[] = [];
  let at = count.next;
  for (let index = 0; index < count.value; index++) {
    const refType = payload[at];
    if (refType !== FUNCREF && refType !== EXTERNREF)
      throw new SandboxError(
        'module_invalid',
        `table ${index} has unsupported type ${hex(refType)}`,
      );
    const flags = readU32Leb(payload, at + 1);
    if (flags.value & ~HAS_MAX)
      throw new SandboxError(
        'module_invalid',
        `table ${index} has unsupported limits ${hex(flags.value)}`,
      );
    const min = readU32Leb(payload, flags.next);
    at = min.next;
    const table: WasmTable = { refType, min: min.value };
    if (flags.value & HAS_MAX) {
      const max = readU32Leb(payload, at);
      table.max = max.value;
      at = max.next;
    }
    tables.push(table);
  }
  if (at !== payload.length)
    throw new SandboxError('module_invalid', 'table section has trailing bytes');
  return tables;
}

/** A table section holding `tables`, every one with a maximum. */
export function writeTables(tables: readonly Required<WasmTable>[]): Uint8Array {
  const entries = tables.flatMap((t) => [
    t.refType,
    HAS_MAX,
    ...encodeU32Leb(t.min),
    ...encodeU32Leb(t.max),
  ]);
  return Uint8Array.from([...encodeU32Leb(tables.length), ...entries]);
}

const hex = (value: number | undefined) => `0x${(value ?? 0).toString(16)}`;
