export { ArtifactError, type ArtifactErrorCode } from './artifact.errors.js';
export {
  ARTIFACT_STORE,
  type ArtifactRef,
  type ArtifactStore,
  type StagedArtifact,
} from './artifact-store.js';
export { FileArtifactStore } from './file-artifact-store.js';
export { assertSha256Hex, sha256Hex } from './sha256-digest.js';
export { ArtifactStoreModule } from './artifact-store.module.js';
