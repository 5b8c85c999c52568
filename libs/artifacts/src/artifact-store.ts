/** Identity of stored content: its SHA-256 (64 lowercase hex) and its length in bytes. */
export interface ArtifactRef {
  readonly sha256: string;
  readonly size: number;
}

/** Bytes written under a unique upload name, not yet part of the store. */
export interface StagedArtifact extends ArtifactRef {
  /** 32 lowercase hex characters; names the staged file until it is promoted or discarded. */
  readonly upload_id: string;
}

/** Content-addressed storage for plugin artifacts: the digest is the only name. */
export interface ArtifactStore {
  /** Stores the bytes (idempotently) and returns their digest. */
  put(bytes: Uint8Array): Promise<ArtifactRef>;
  /** Returns the bytes whose hash is `sha256`; fails with `artifact_not_found` or `artifact_corrupt`. */
  get(sha256: string): Promise<Uint8Array>;
  has(sha256: string): Promise<boolean>;
  /**
   * Deletes the content stored under `sha256`; answers whether a file was there. The store does
   * not know who needs the content: the caller decides that nothing does (in the registry, under
   * the digest's lock, ADR 0019).
   */
  remove(sha256: string): Promise<boolean>;
  /**
   * Writes the bytes under a fresh upload id, outside the content-addressed part: nothing reads
   * them until `promote`. Lets a caller send bytes before it knows they will be accepted.
   */
  stage(bytes: Uint8Array): Promise<StagedArtifact>;
  /**
   * Moves a staged upload into the store under its digest, after checking it still hashes to
   * `sha256`; fails with `artifact_not_found` (never staged, or discarded) or `artifact_corrupt`.
   */
  promote(uploadId: string, sha256: string): Promise<ArtifactRef>;
  /** Deletes a staged upload; a no-op when it was promoted or is already gone. */
  discard(uploadId: string): Promise<void>;
}

/** Nest injection token for the configured `ArtifactStore`. */
export const ARTIFACT_STORE = Symbol('ArtifactStore');
