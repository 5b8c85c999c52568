export { fsListFunction, MAX_LIST_ENTRIES, type ListedType } from './fs-list.js';
export { fsReadFunction } from './fs-read.js';
export { CREATED_FILE_MODE, fsWriteFunction } from './fs-write.js';
export {
  resolveGrantRoots,
  resolveReal,
  type GrantRoots,
  type Resolution,
} from './resolve-path.js';
