// The attacks that took the executor down or ran unmetered, replayed through a SandboxRuntime.
// Those that aborted the whole process run in a child process: a regression fails its test
// instead of killing jest.
import type { CallLimits } from './call-limits.js';
import type { SandboxRuntime } from './sandbox-runtime.js';
import { wat } from './testing/hostile-modules.js';
import { runInChild, type ChildOutcome } from './testing/sandbox-child.js';
import { loadAndCall, testRuntime, type LoadReport } from './testing/test-runtime.js';

const MEMORY = '(memory (export "memory") 1024)';
// 1000 fills of 64 MiB through loop-free functions: only the function calling $fill10 is checked.
const FILLS = `
  (func $fill (memory.fill (i32.const 0) (i32.const 1) (i32.const 67108864)))
  (func $fill10 ${'(call $fill) '.repeat(10)})
  (func $fills ${'(call $fill10) '.repeat(100)})`;

function survived(outcome: ChildOutcome): LoadReport {
  expect({ exit: outcome.exitCode, signal: outcome.signal }).toEqual({ exit: 0, signal: null });
  return outcome.report!;
}

describe('module bounds: inputs that aborted the process, each in a child process', () => {
  const child = async (source: string, calls: string[] = []) =>
    survived(await runInChild({ bytes: (await wat(source)).bytes, calls }));

  it('refuses a module declaring a 10,000,000-entry table at load', async () => {
    const report = await child(`(module ${MEMORY} (table 10000000 funcref))`);
    expect(report.load).toMatchObject({
      ok: false,
      code: 'module_table_too_large',
      message: expect.stringContaining('10000000'),
    });
  });

  it('ends a loop growing a table by 1,000,000 per turn: table.grow returns -1 at the cap', async () => {
    const report = await child(
      `(module ${MEMORY} (table $t 1 funcref)
        (func (export "grow") (result i32)
          (loop $more
            (br_if $more (i32.ne (table.grow $t (ref.null func) (i32.const 1000000)) (i32.const -1))))
          (i32.const 0)))`,
      ['grow'],
    );
    expect(report).toMatchObject({ load: { ok: true }, calls: [{ ok: true }] });
  });

  it('answers -1 to table.grow by 9,000,000 in one go', async () => {
    const report = await child(
      `(module ${MEMORY} (table $t 1 funcref)
        (func (export "grow") (result i32)
          (if (i32.ne (table.grow $t (ref.null func) (i32.const 9000000)) (i32.const -1))
            (then unreachable))
          (i32.const 0)))`,
      ['grow'],
    );
    expect(report).toMatchObject({ load: { ok: true }, calls: [{ ok: true }] });
  });
});

describe('module bounds: unmetered work and unbounded declarations, in this process', () => {
  let runtime: SandboxRuntime;
  const run = async (source: string, limits: Partial<CallLimits> = {}, calls: string[] = []) =>
    loadAndCall(runtime, (await wat(source)).bytes, limits, calls);

  beforeEach(() => {
    runtime = testRuntime();
  });

  it('refuses a module declaring five tables', async () => {
    const report = await run(`(module ${MEMORY} ${'(table 1 funcref) '.repeat(5)})`);
    expect(report.load).toMatchObject({ ok: false, code: 'module_too_many_tables' });
  });

  it.each([10, 1])(
    'stops 1000 fills of 64 MiB through loop-free functions before the first, with fuel %i',
    async (fuel) => {
      const report = await run(
        `(module ${MEMORY} ${FILLS}
          (func (export "run") (result i32) ${'(call $fill10) '.repeat(100)} (i32.const 0)))`,
        { fuel, wallTimeMs: 3000 },
        ['run'],
      );
      expect(report.calls).toEqual([expect.objectContaining({ ok: false, code: 'cpu_limit' })]);
      expect(report.resources[0]).toMatchObject({ fuel_used: fuel });
      // The 1000 fills would take over ten seconds (one 64 MiB fill takes several milliseconds):
      // a call this short was stopped before them, whatever the load of a shared machine.
      expect(report.resources[0]!.wall_ms).toBeLessThan(1000);
    },
  );

  it('meters the start section: a start function filling 64 GB is refused at load with cpu_limit', async () => {
    const report = await run(`(module ${MEMORY} ${FILLS} (start $fills))`, { fuel: 1000 });
    expect(report.load).toMatchObject({ ok: false, code: 'cpu_limit' });
    expect(report.load.ms).toBeLessThan(3000);
  });

  it.each([
    ['_start', 'spins', '(loop $forever (br $forever))'],
    ['_start', 'fills 640 MiB loop-free', '(call $fill) '.repeat(10)],
    ['_initialize', 'fills 640 MiB loop-free', '(call $fill) '.repeat(10)],
    ['hs_init', 'fills 640 MiB loop-free', '(call $fill) '.repeat(10)],
  ])(
    'refuses a module exporting %s (which Extism runs unmetered at load) that %s, at once',
    async (name, _, body) => {
      const report = await run(
        `(module ${MEMORY} ${FILLS} (func (export "${name}") ${body})
          (func (export "run") (result i32) (i32.const 0)))`,
      );
      expect(report.load).toMatchObject({
        ok: false,
        code: 'module_export_reserved',
        message: expect.stringContaining(name),
      });
      expect(report.load.ms).toBeLessThan(3000);
    },
  );
});
