import { SandboxError } from './sandbox-error.js';
import { readSections, SectionId, writeSections } from './wasm-sections.js';
import { readTables, writeTables } from './wasm-tables.js';

/**
 * Rewrites the module's table section so each table declares a maximum of at most `maxEntries`.
 * V8 enforces a declared maximum in `table.grow` (which then returns -1); without one, a plugin
 * could grow a table until the worker's heap, and with it the whole process, gives out.
 */
export function capTables(bytes: Uint8Array, maxEntries: number): Uint8Array<ArrayBuffer> {
  const sections = readSections(bytes);
  return writeSections(
    sections.map((section) => {
      if (section.id !== SectionId.table) return section;
      const tables = readTables(section.payload).map((table, index) => {
        if (table.min > maxEntries)
          throw new SandboxError(
            'module_table_too_large',
            `table ${index} initial entries: ${table.min}, more than the limit of ${maxEntries}`,
          );
        return { ...table, max: Math.min(table.max ?? maxEntries, maxEntries) };
      });
      return { id: section.id, payload: writeTables(tables) };
    }),
  );
}
