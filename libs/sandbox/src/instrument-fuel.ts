import { errorMessage } from './error-message.js';
import { SandboxError } from './sandbox-error.js';

/** Names the instrumentation adds; a plugin may not export names with this prefix. */
export const RESERVED_EXPORT_PREFIX = '__convergio_';
/** Exported mutable i64 global holding the fuel the running call has left. */
export const FUEL_GLOBAL_EXPORT = `${RESERVED_EXPORT_PREFIX}fuel`;
/** The module's start function, exported instead of run at instantiation, so it runs metered. */
export const START_EXPORT = `${RESERVED_EXPORT_PREFIX}start`;
const USER_NAMESPACE = 'extism:host/user';
const LOG_EXECUTION = 'log_execution';
const ALWAYS_INLINE_MAX_SIZE = 20;

// What AssemblyScript 0.28 and other toolchains emit and V8 11.3 (Node 20) runs; GC, memory64,
// multi-memory, relaxed SIMD and stack switching are off so the optimizer never introduces them.
type Binaryen = typeof import('binaryen').default;
const features = (b: Binaryen): number =>
  b.Features.MVP |
  b.Features.MutableGlobals |
  b.Features.NontrappingFPToInt |
  b.Features.SignExt |
  b.Features.BulkMemory |
  b.Features.BulkMemoryOpt |
  b.Features.SIMD128 |
  b.Features.Multivalue |
  b.Features.ReferenceTypes |
  b.Features.ExceptionHandling |
  b.Features.TailCall |
  b.Features.CallIndirectOverlong;

let loading: Promise<Binaryen> | undefined;
/**
 * binaryen is a large module with top-level await (about a second to import): it is loaded once,
 * on first use or earlier through this function, e.g. while a service boots.
 */
export const loadBinaryen = (): Promise<Binaryen> =>
  (loading ??= import('binaryen').then((module) => module.default));

/**
 * Injects a deterministic CPU budget. binaryen's `log-execution` pass puts a call at every
 * function entry, exit and loop header; that call becomes a check that traps (`unreachable`) when
 * the global {@link FUEL_GLOBAL_EXPORT} is spent and otherwise decrements it, and is then inlined.
 * The check never calls out: a call in a loop, even on a path never taken, keeps V8 from
 * optimizing the loop (measured: 2.5x slower on a tight loop; the trap-only check costs ~1%). So
 * the host sets the whole budget before a call and reads what is left after it. A start function
 * would run at instantiation, before the host can set the budget: it is exported as
 * {@link START_EXPORT} instead, for the host to run as a metered call.
 */
export async function instrumentFuel(bytes: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  const b = await loadBinaryen();
  let module: ReturnType<Binaryen['readBinary']> | undefined;
  try {
    module = b.readBinary(bytes);
    module.setFeatures(features(b));
    const before = importedFunctions(b, module);
    refuseBadHostSignatures(b, before);
    module.runPasses(['log-execution']);
    const added = importedFunctions(b, module).find(
      (fn) => fn.base === LOG_EXECUTION && !before.some((old) => old.name === fn.name),
    );
    if (!added) throw new Error('log-execution added no import');
    module.removeFunction(added.name);
    addFuelCheck(b, module, added.name);
    exportStartFunction(b, module);
    if (!module.validate()) throw new Error('instrumented module does not validate');
    // binaryen's default heuristics inline only functions of 2 nodes or fewer everywhere; the
    // check has 10, and an un-inlined call per loop turn would cost as much as the trap-free
    // check saves.
    const alwaysInline = b.getAlwaysInlineMaxSize();
    b.setOptimizeLevel(2);
    b.setShrinkLevel(0);
    b.setAlwaysInlineMaxSize(ALWAYS_INLINE_MAX_SIZE);
    try {
      module.runPasses(['inlining-optimizing']);
    } finally {
      b.setAlwaysInlineMaxSize(alwaysInline);
    }
    return new Uint8Array(module.emitBinary());
  } catch (error) {
    if (error instanceof SandboxError) throw error;
    throw new SandboxError(
      'module_invalid',
      `cannot instrument the module: ${errorMessage(error)}`,
    );
  } finally {
    module?.dispose();
  }
}

function addFuelCheck(b: Binaryen, m: ReturnType<Binaryen['readBinary']>, name: string): void {
  const fuel = `${FUEL_GLOBAL_EXPORT}_global`;
  m.addGlobal(fuel, b.i64, true, m.i64.const(0n));
  m.addGlobalExport(fuel, FUEL_GLOBAL_EXPORT);
  const left = () => m.global.get(fuel, b.i64);
  m.addFunction(
    name,
    b.createType([b.i32]),
    b.none,
    [],
    m.block(null, [
      m.if(m.i64.le_s(left(), m.i64.const(0n)), m.unreachable()),
      m.global.set(fuel, m.i64.sub(left(), m.i64.const(1n))),
    ]),
  );
}

function exportStartFunction(b: Binaryen, m: ReturnType<Binaryen['readBinary']>): void {
  const start = m.getStart();
  if (!start) return;
  m.setStart(0);
  m.addFunctionExport(b.getFunctionInfo(start).name, START_EXPORT);
}

function importedFunctions(b: Binaryen, m: ReturnType<Binaryen['readBinary']>) {
  const found: ImportedFunction[] = [];
  for (let index = 0; index < m.getNumFunctions(); index++) {
    const info = b.getFunctionInfo(m.getFunctionByIndex(index));
    if (info.module)
      found.push({
        name: info.name,
        module: info.module,
        base: info.base ?? '',
        params: b.expandType(info.params),
        results: b.expandType(info.results),
      });
  }
  return found;
}

interface ImportedFunction {
  name: string;
  module: string;
  base: string;
  params: number[];
  results: number[];
}

// Host functions take and return one Extism memory offset; any other type would make the
// wrapper return a value Wasm cannot take, which traps inside the host call.
function refuseBadHostSignatures(b: Binaryen, imports: readonly ImportedFunction[]): void {
  for (const fn of imports) {
    if (fn.module !== USER_NAMESPACE) continue;
    const ok =
      fn.params.length === 1 &&
      fn.params[0] === b.i64 &&
      fn.results.length === 1 &&
      fn.results[0] === b.i64;
    if (!ok)
      throw new SandboxError(
        'module_import_forbidden',
        `host function "${fn.base}" must have type (i64) -> i64`,
      );
  }
}
