/** Stable codes of artifact store failures. */
export type ArtifactErrorCode =
  | 'artifact_invalid_digest'
  | 'artifact_invalid_upload_id'
  | 'artifact_not_found'
  | 'artifact_corrupt';

/** A coded artifact store failure; map `code`, never the message. */
export class ArtifactError extends Error {
  override readonly name = 'ArtifactError';

  constructor(
    readonly code: ArtifactErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
