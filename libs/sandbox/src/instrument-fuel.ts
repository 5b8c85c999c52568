import { errorMessage } from './error-message.js';
import { SandboxError } from './sandbox-error.js';

/** Host import the fuel check calls when its counter runs out; answers the next chunk, or 0 to trap. */
export const FUEL_REFILL_IMPORT = '__fuel_refill';
/** Exported mutable i64 global holding the fuel left in the current chunk. */
export const FUEL_GLOBAL_EXPORT = '__convergio_fuel';
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
 * function entry, exit and loop header; that call becomes a small function decrementing the
 * global {@link FUEL_GLOBAL_EXPORT}. When it reaches zero the function asks the host for the next
 * chunk through {@link FUEL_REFILL_IMPORT}; a 0 answer executes `unreachable`. The check is then
 * inlined, which roughly halves its cost in tight loops.
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
    if (!module.validate()) throw new Error('instrumented module does not validate');
    // The check calls the refill import, so binaryen's default heuristics never inline it; a
    // higher always-inline size does (measured: a tight loop goes from 12x to about 2.5x slower).
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
  const refill = `${FUEL_GLOBAL_EXPORT}_refill`;
  m.addGlobal(fuel, b.i64, true, m.i64.const(0n));
  m.addGlobalExport(fuel, FUEL_GLOBAL_EXPORT);
  m.addFunctionImport(refill, USER_NAMESPACE, FUEL_REFILL_IMPORT, b.none, b.i64);
  const left = () => m.global.get(fuel, b.i64);
  m.addFunction(
    name,
    b.createType([b.i32]),
    b.none,
    [],
    m.block(null, [
      m.if(
        m.i64.eqz(left()),
        m.block(null, [
          m.global.set(fuel, m.call(refill, [], b.i64)),
          m.if(m.i64.eqz(left()), m.unreachable()),
        ]),
      ),
      m.global.set(fuel, m.i64.sub(left(), m.i64.const(1n))),
    ]),
  );
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
