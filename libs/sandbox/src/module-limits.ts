import type { ModuleLimitCode } from '@convergio/contracts';
import { readU32Leb } from './leb128.js';
import { profileModuleCode } from './instrument-fuel.js';
import { meteredBodyBytes } from './meter-code.js';
import { RESERVED_EXPORT_PREFIX } from './reserved-exports.js';
import { SandboxError } from './sandbox-error.js';
import { readExports } from './wasm-exports.js';
import { ExternalKind, readImports } from './wasm-imports.js';
import { readSections, SectionId, type WasmSection } from './wasm-sections.js';
import { MAX_TABLE_ENTRIES, readTables } from './wasm-tables.js';

/**
 * What a module may declare. V8's own limits (10,000,000 table entries, 1,000,000 functions, ...)
 * are far above what one worker's heap holds: a 10,000,000-entry table aborted the whole process
 * while being allocated, before any JavaScript could catch it.
 */
export interface ModuleLimits {
  /** Tables, imported and defined. */
  tables: number;
  /** Initial and maximum entries of each table; a table without a maximum is given this one. */
  tableEntries: number;
  /** Globals, imported and defined. */
  globals: number;
  /** Functions, imported and defined. */
  functions: number;
  dataSegments: number;
  elementSegments: number;
  /** Bytes of the code section. */
  codeBytes: number;
  /** Bytes of the code section once metered (fuel checks and charges included). */
  meteredCodeBytes: number;
  /** Bytes of one function body once metered, its entry check counted. */
  functionBytes: number;
  /** Blocks (block, loop, if, try, try_table) open at once in one function. */
  nestingDepth: number;
  /** Locals one function declares, parameters excluded. */
  functionLocals: number;
  /**
   * One function's locals (parameters included) times its blocks where control flow joins once
   * metered (ifs, tries, blocks a branch names, loops twice, bulk charges: CodeProfile.joinBlocks):
   * V8 keeps the state of every local at each. 10,000 locals in 10,000 nested loops (30 KB)
   * took 3.5 GB to compile; 9,000 ifs, or blocks each branched to, or loops one after another,
   * with 10,000 locals (27 to 63 KB) took 1.1 to 3.3 GB and 5 to 22 s, on the function's first
   * call, past its wall time. Measured here at about 24 bytes and 0.1 µs a unit, so the limit
   * costs at most about 50 MB and 0.25 s.
   */
  joinLocals: number;
  /**
   * The same, summed over the module's functions: each is compiled on its first call, one at a
   * time, so this bounds the time (about 2 s), not the memory. PGlite's PostgreSQL build
   * (13,729 functions) sums about 2.5 million.
   */
  totalJoinLocals: number;
  imports: number;
  exports: number;
}

/** The limits every module is held to (ADR 0003). */
export const DEFAULT_MODULE_LIMITS: Readonly<ModuleLimits> = Object.freeze({
  tables: 4,
  tableEntries: MAX_TABLE_ENTRIES,
  globals: 10_000,
  functions: 100_000,
  dataSegments: 100_000,
  elementSegments: 100_000,
  codeBytes: 16 * 1024 * 1024,
  meteredCodeBytes: 32 * 1024 * 1024,
  functionBytes: 256 * 1024,
  nestingDepth: 10_000,
  functionLocals: 10_000,
  joinLocals: 2_000_000,
  totalJoinLocals: 20_000_000,
  imports: 1_000,
  exports: 10_000,
});

/**
 * Exports Extism itself calls when it instantiates a plugin (`hs_init`, else `_initialize`, else
 * `_initialize` and `_start`), before the host has put any fuel in the budget.
 */
export const EXTISM_INIT_EXPORTS: readonly string[] = ['_start', '_initialize', 'hs_init'];

/** One bound a module breaks: the code naming the resource, the value found and the limit. */
export interface ModuleLimitViolation {
  code: ModuleLimitCode;
  message: string;
  /** What was found: a count, a size, or the export's name. */
  value: number | string;
  limit?: number;
}

/**
 * Every bound of {@link ModuleLimits} (and the reserved exports) the module breaks, read from its
 * sections without compiling it. Malformed sections are `module_invalid` ({@link SandboxError}).
 */
export function findModuleLimitViolations(
  bytes: Uint8Array,
  limits: Readonly<ModuleLimits> = DEFAULT_MODULE_LIMITS,
): ModuleLimitViolation[] {
  const sections = readSections(bytes);
  const payload = (id: number) => sections.find((s: WasmSection) => s.id === id)?.payload;
  const count = (id: number) => {
    const found = payload(id);
    return found ? readU32Leb(found, 0).value : 0;
  };
  const imports = readImports(payload(SectionId.import) ?? Uint8Array.of(0));
  const imported = (kind: number) => imports.filter((i) => i.kind === kind).length;
  const tables = readTables(payload(SectionId.table) ?? Uint8Array.of(0));
  const exports = readExports(payload(SectionId.export) ?? Uint8Array.of(0));

  const found: ModuleLimitViolation[] = [];
  const over = (code: ModuleLimitCode, what: string, value: number, limit: number) => {
    if (value > limit)
      found.push({
        code,
        value,
        limit,
        message: `${what}: ${value}, more than the limit of ${limit}`,
      });
  };
  over(
    'module_too_many_tables',
    'tables',
    imported(ExternalKind.table) + tables.length,
    limits.tables,
  );
  tables.forEach((table, index) => {
    over(
      'module_table_too_large',
      `table ${index} initial entries`,
      table.min,
      limits.tableEntries,
    );
    if (table.max !== undefined)
      over(
        'module_table_too_large',
        `table ${index} maximum entries`,
        table.max,
        limits.tableEntries,
      );
  });
  over(
    'module_too_many_globals',
    'globals',
    imported(ExternalKind.global) + count(SectionId.global),
    limits.globals,
  );
  over(
    'module_too_many_functions',
    'functions',
    imported(ExternalKind.function) + count(SectionId.function),
    limits.functions,
  );
  over(
    'module_too_many_data_segments',
    'data segments',
    count(SectionId.data),
    limits.dataSegments,
  );
  over(
    'module_too_many_element_segments',
    'element segments',
    count(SectionId.element),
    limits.elementSegments,
  );
  over(
    'module_code_too_large',
    'code section bytes',
    payload(SectionId.code)?.length ?? 0,
    limits.codeBytes,
  );
  found.push(...functionViolations(bytes, limits));
  over('module_too_many_imports', 'imports', imports.length, limits.imports);
  over('module_too_many_exports', 'exports', exports.length, limits.exports);
  for (const { name } of exports) {
    if (EXTISM_INIT_EXPORTS.includes(name))
      found.push({
        code: 'module_export_reserved',
        value: name,
        message: `the module exports "${name}", which Extism would run unmetered at load; export plugin functions under other names`,
      });
    else if (name.startsWith(RESERVED_EXPORT_PREFIX))
      found.push({
        code: 'module_export_reserved',
        value: name,
        message: `the module exports "${name}": names starting with ${RESERVED_EXPORT_PREFIX} are reserved`,
      });
  }
  return found;
}

/**
 * The bounds on what V8 compiles, read from the code as the sandbox meters it (instrument-fuel.ts):
 * the metered code section, and for each bound the function breaking it by the most (one
 * violation per bound, not one per function).
 */
function functionViolations(
  bytes: Uint8Array,
  limits: Readonly<ModuleLimits>,
): ModuleLimitViolation[] {
  const { functionImports, paramCounts, profile } = profileModuleCode(bytes);
  if (!profile) return [];
  const found: ModuleLimitViolation[] = [];
  let metered = 0;
  let totalJoinLocals = 0;
  const worst = { bytes: -1, depth: -1, locals: -1, joins: -1 };
  const joinLocals = (i: number) => (paramCounts[i] + profile.locals[i]) * profile.joinBlocks[i];
  for (let i = 0; i < profile.flags.length; i++) {
    const size = meteredBodyBytes(profile, i, true);
    metered += size;
    totalJoinLocals += joinLocals(i);
    if (
      size > limits.functionBytes &&
      (worst.bytes < 0 || size > meteredBodyBytes(profile, worst.bytes, true))
    )
      worst.bytes = i;
    if (
      profile.depths[i] > limits.nestingDepth &&
      (worst.depth < 0 || profile.depths[i] > profile.depths[worst.depth])
    )
      worst.depth = i;
    if (
      profile.locals[i] > limits.functionLocals &&
      (worst.locals < 0 || profile.locals[i] > profile.locals[worst.locals])
    )
      worst.locals = i;
    if (
      joinLocals(i) > limits.joinLocals &&
      (worst.joins < 0 || joinLocals(i) > joinLocals(worst.joins))
    )
      worst.joins = i;
  }
  const fn = (i: number) => `function ${functionImports + i}`;
  if (metered > limits.meteredCodeBytes)
    found.push({
      code: 'module_code_too_large',
      value: metered,
      limit: limits.meteredCodeBytes,
      message: `code section bytes once metered (fuel checks at loops and function entries, charges before bulk instructions): ${metered}, more than the limit of ${limits.meteredCodeBytes}`,
    });
  if (worst.bytes >= 0) {
    const size = meteredBodyBytes(profile, worst.bytes, true);
    found.push({
      code: 'module_function_too_large',
      value: size,
      limit: limits.functionBytes,
      message: `${fn(worst.bytes)} body bytes once metered: ${size}, more than the limit of ${limits.functionBytes}; split it into smaller functions`,
    });
  }
  if (worst.depth >= 0)
    found.push({
      code: 'module_nesting_too_deep',
      value: profile.depths[worst.depth],
      limit: limits.nestingDepth,
      message: `${fn(worst.depth)} nests blocks ${profile.depths[worst.depth]} deep, more than the limit of ${limits.nestingDepth}`,
    });
  if (worst.locals >= 0)
    found.push({
      code: 'module_too_many_locals',
      value: profile.locals[worst.locals],
      limit: limits.functionLocals,
      message: `${fn(worst.locals)} locals: ${profile.locals[worst.locals]}, more than the limit of ${limits.functionLocals}`,
    });
  if (worst.joins >= 0) {
    const i = worst.joins;
    found.push({
      code: 'module_function_too_complex',
      value: joinLocals(i),
      limit: limits.joinLocals,
      message: `${fn(i)} has ${paramCounts[i] + profile.locals[i]} locals (parameters included) and ${profile.joinBlocks[i]} blocks where control flow joins once metered (ifs, tries, blocks a branch names, loops twice, bulk instructions): ${joinLocals(i)}, more than the limit of ${limits.joinLocals} (compiling it costs memory for each local at each); use fewer locals or split the function`,
    });
  }
  if (worst.joins < 0 && totalJoinLocals > limits.totalJoinLocals)
    found.push({
      code: 'module_function_too_complex',
      value: totalJoinLocals,
      limit: limits.totalJoinLocals,
      message: `the module's functions together have locals (parameters included) times blocks where control flow joins of ${totalJoinLocals}, more than the limit of ${limits.totalJoinLocals} (compiling each costs time for each local at each); use fewer locals or fewer, smaller functions`,
    });
  return found;
}

/** Refuses (with a {@link SandboxError} coded for the resource) the first bound the module breaks. */
export function checkModuleLimits(
  bytes: Uint8Array,
  limits: Readonly<ModuleLimits> = DEFAULT_MODULE_LIMITS,
): void {
  const [first] = findModuleLimitViolations(bytes, limits);
  if (first) throw new SandboxError(first.code, first.message);
}
