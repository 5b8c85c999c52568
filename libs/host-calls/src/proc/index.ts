import type { HostEnvironment, HostFunctionTable } from '@convergio/sandbox';
import { neverThrow } from '../fs/host-error.js';
import { resolveGrantRoots } from '../fs/resolve-path.js';
import { procExec, realOrNull, type ExecGrants } from './proc-exec.js';

/** `proc_exec`, bound to one plugin; granted binaries and fs roots are resolved here, once. */
export function procHostFunctions(env: HostEnvironment): HostFunctionTable {
  const read = resolveGrantRoots(env.grants['fs.read']?.paths);
  const write = resolveGrantRoots(env.grants['fs.write']?.paths);
  const grants: ExecGrants = {
    binaries: env.grants['proc.exec']?.binaries.map((declared) => ({
      declared,
      real: realOrNull(declared),
    })),
    fsRoots: [...(read?.real ?? []), ...(write?.real ?? [])],
    writeRoots: write?.real ?? [],
  };
  return { proc_exec: (input) => neverThrow(() => procExec(env, grants, input)) };
}

export type { ExecGrants, ExecResult } from './proc-exec.js';
