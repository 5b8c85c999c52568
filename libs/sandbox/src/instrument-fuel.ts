import { encodeU32Leb, readU32Leb } from './leb128.js';
import { meterCodeSection, profileCodeSection, type CodeProfile } from './meter-code.js';
import { SandboxError } from './sandbox-error.js';
import { appendEntries } from './section-edits.js';
import { ExternalKind, readImports } from './wasm-imports.js';
import { readSections, SectionId, writeSections, type WasmSection } from './wasm-sections.js';
import { I64, readFunctionTypes } from './wasm-types.js';
import { FUEL_GLOBAL_EXPORT, START_EXPORT } from './reserved-exports.js';

export { FUEL_GLOBAL_EXPORT, RESERVED_EXPORT_PREFIX, START_EXPORT } from './reserved-exports.js';

const EMPTY_VECTOR = Uint8Array.of(0);
// mutable i64, initialized by `i64.const 0 end`.
const FUEL_GLOBAL = Uint8Array.of(I64, 0x01, 0x42, 0x00, 0x0b);
const utf8 = new TextEncoder();

/**
 * Injects a deterministic CPU budget by rewriting the binary: a check at each loop header and at
 * the entry of every function that may loop or recurse (see {@link meterCodeSection}) traps
 * (`unreachable`) when the global {@link FUEL_GLOBAL_EXPORT} is spent and otherwise decrements it
 * by the cost of the code it pays for, one unit per 1000 instructions or part of it.
 * The check never calls out: a call in a loop, even on a path never taken, keeps V8 from
 * optimizing the loop. So the host sets the whole budget before a call and reads what is left
 * after it. Instructions whose work grows with an operand (bulk memory and table operations,
 * `memory.grow`, `table.grow`) are charged in proportion before they run (see bulk-fuel.ts), so a
 * loop-free function cannot fill gigabytes for free. A start function would run at
 * instantiation, before the host can set the budget: it is exported as {@link START_EXPORT}
 * instead, for the host to run as a metered call. Sections other than code, global, export and
 * start are kept byte for byte. Refuses any instruction it cannot decode (`module_invalid`); the
 * imports are checked before (module-imports.ts).
 */
export function instrumentFuel(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const sections = readSections(bytes);
  const code = readCode(sections);
  const start = sections.find((s) => s.id === SectionId.start);
  const metered = sections
    .filter((section) => section !== start)
    .map((section) =>
      section.id === SectionId.code
        ? {
            ...section,
            payload: meterCodeSection(
              section.payload,
              code.functionImports,
              code.fuel,
              code.paramCounts,
              code.profile ??
                profileCodeSection(
                  section.payload,
                  code.functionImports,
                  code.fuel,
                  code.paramCounts,
                ),
            ),
          }
        : section,
    );
  const exports = [exportEntry(FUEL_GLOBAL_EXPORT, ExternalKind.global, code.fuel)];
  if (start) {
    const startFunction = readU32Leb(start.payload, 0).value;
    exports.push(exportEntry(START_EXPORT, ExternalKind.function, startFunction));
  }
  const withFuelGlobal = appendEntries(metered, SectionId.global, [FUEL_GLOBAL]);
  return writeSections(appendEntries(withFuelGlobal, SectionId.export, exports));
}

/** What the metering would write for each function of a module (see {@link profileCodeSection}). */
export interface ModuleCodeProfile {
  functionImports: number;
  /** Index of the fuel global the metering adds. */
  fuel: number;
  paramCounts: number[];
  /** Absent when the module has no code section. */
  profile?: CodeProfile;
}

/**
 * Profiles the code of a module as {@link instrumentFuel} meters it: module limits check the
 * sizes the compiler will get, not only the ones the author wrote.
 */
export function profileModuleCode(bytes: Uint8Array): ModuleCodeProfile {
  const sections = readSections(bytes);
  return readCode(sections);
}

function readCode(sections: readonly WasmSection[]): ModuleCodeProfile {
  const payload = (id: number) => sections.find((s) => s.id === id)?.payload ?? EMPTY_VECTOR;
  const imports = readImports(payload(SectionId.import));
  const types = readFunctionTypes(payload(SectionId.type));
  const imported = (kind: number) => imports.filter((i) => i.kind === kind).length;
  const functionImports = imported(ExternalKind.function);
  const fuel = imported(ExternalKind.global) + readU32Leb(payload(SectionId.global), 0).value;
  const paramCounts = readFunctionTypeIndexes(payload(SectionId.function)).map((type) => {
    if (type >= types.length)
      throw new SandboxError('module_invalid', `function type ${type} does not exist`);
    return types[type].params.length;
  });
  const codePayload = sections.find((s) => s.id === SectionId.code)?.payload;
  const profile =
    codePayload && profileCodeSection(codePayload, functionImports, fuel, paramCounts);
  return { functionImports, fuel, paramCounts, ...(profile && { profile }) };
}

function readFunctionTypeIndexes(payload: Uint8Array): number[] {
  const count = readU32Leb(payload, 0);
  const indexes: number[] = [];
  let at = count.next;
  for (let i = 0; i < count.value; i++) {
    const type = readU32Leb(payload, at);
    indexes.push(type.value);
    at = type.next;
  }
  if (at !== payload.length)
    throw new SandboxError('module_invalid', 'function section has trailing bytes');
  return indexes;
}

function exportEntry(name: string, kind: number, index: number): Uint8Array {
  const text = utf8.encode(name);
  return Uint8Array.of(...encodeU32Leb(text.length), ...text, kind, ...encodeU32Leb(index));
}
