export { fsHostFunctions } from './fs-host-functions.js';
export { CREATED_FILE_MODE } from './fs-write.js';
export { MAX_LIST_ENTRIES, type ListedType } from './fs-list.js';
export { hostError, type HostErrorCode } from './host-error.js';
export {
  resolveGrantRoots,
  resolveReal,
  type GrantRoots,
  type Resolution,
} from './resolve-path.js';
