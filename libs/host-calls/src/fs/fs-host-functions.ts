import type { HostEnvironment, HostFunctionTable } from '@convergio/sandbox';
import { neverThrow } from './host-error.js';
import { fsList } from './fs-list.js';
import { fsRead } from './fs-read.js';
import { fsWrite } from './fs-write.js';
import { resolveGrantRoots } from './resolve-path.js';

/**
 * `fs_read`, `fs_write` and `fs_list`, bound to one plugin. The granted paths are resolved
 * here, once. fs.write does not imply fs.read: a plugin that may write a report may not
 * read back what else is in that directory unless it was granted fs.read too.
 */
export function fsHostFunctions(env: HostEnvironment): HostFunctionTable {
  const read = resolveGrantRoots(env.grants['fs.read']?.paths);
  const write = resolveGrantRoots(env.grants['fs.write']?.paths);
  return {
    fs_read: (input) => neverThrow(() => fsRead(env, read, input)),
    fs_write: (input) => neverThrow(() => fsWrite(env, write, input)),
    fs_list: (input) => neverThrow(() => fsList(env, read, input)),
  };
}
