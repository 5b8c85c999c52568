export {
  describePluginValue,
  FORBIDDEN_ROOTS,
  isForbiddenPath,
  isWithinAnyRoot,
  isWithinRoot,
  MAX_PLUGIN_PATH_LENGTH,
  parsePluginPath,
} from './plugin-path.js';
export {
  decideFsAccess,
  decideOpenedMatchesChecked,
  decideRequestedPath,
  type FileIdentity,
  type FsDecision,
  type FsEntryKind,
  type FsOperation,
  type FsTargetFacts,
} from './fs-access.js';
export {
  hasEnvFileSegment,
  MINIMAL_PATH_PROTECTION,
  platformProtectedRoots,
  protectedPathRefusal,
  type PathProtection,
  type PlatformPaths,
} from './path-protection.js';
export { expandPluginDir, PLUGIN_DIR_TOKEN } from './plugin-dir.js';
