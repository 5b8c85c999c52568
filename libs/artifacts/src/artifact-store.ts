/** Identity of stored content: its SHA-256 (64 lowercase hex) and its length in bytes. */
export interface ArtifactRef {
  readonly sha256: string;
  readonly size: number;
}

/** Content-addressed storage for plugin artifacts: the digest is the only name. */
export interface ArtifactStore {
  /** Stores the bytes (idempotently) and returns their digest. */
  put(bytes: Uint8Array): Promise<ArtifactRef>;
  /** Returns the bytes whose hash is `sha256`; fails with `artifact_not_found` or `artifact_corrupt`. */
  get(sha256: string): Promise<Uint8Array>;
  has(sha256: string): Promise<boolean>;
}

/** Nest injection token for the configured `ArtifactStore`. */
export const ARTIFACT_STORE = Symbol('ArtifactStore');
