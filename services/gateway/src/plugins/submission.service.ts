import { Inject, Injectable, Logger } from '@nestjs/common';
import { DomainError, RequestSubjects, type Manifest, type ReplyMap } from '@convergio/contracts';
import { BusClient, type MessageContext } from '@convergio/messaging';
import { ARTIFACT_STORE, type ArtifactStore, type StagedArtifact } from '@convergio/artifacts';
import { PUBLISHER_KEY_HINT, type Principal } from '../auth/roles.js';
import { GATEWAY_LIMITS, type GatewayLimits } from '../config/gateway.config.js';
import { checkSbomPart } from './sbom-part.js';
import { readManifestPart } from './manifest-part.js';
import { settledState, type SettledState } from './settled-state.js';

/** The registry's answer to a submission: plugin id, version and status. */
type Submitted = ReplyMap[typeof RequestSubjects.RegistrySubmit];

/** The parts of a multipart submission. */
export interface SubmissionParts {
  /** plugin.json: a file part's bytes or a text field's text (anything else is refused). */
  manifest?: unknown;
  module?: Buffer;
  sbom?: Buffer;
}

/**
 * Takes a submission apart: the key must belong to a publisher, the manifest must parse and pass
 * its schema and bounds (every problem listed), an SBOM must be JSON (its CycloneDX schema and
 * vulnerabilities are verification's), then the module (and SBOM) are staged and the
 * registry decides. The registry promotes staged files into the store only if it accepts the
 * submission; they are discarded here whatever happens, so a refused submission leaves nothing.
 */
@Injectable()
export class SubmissionService {
  private readonly log = new Logger('Submission');

  constructor(
    private readonly bus: BusClient,
    @Inject(ARTIFACT_STORE) private readonly artifacts: ArtifactStore,
    @Inject(GATEWAY_LIMITS) private readonly limits: GatewayLimits,
  ) {}

  /**
   * Submits; with `waitSeconds`, answers once the outcome is known (approved and loaded, approved
   * but its load failed, pending_approval or rejected), that time has passed or `signal` aborts
   * (the client left), whichever is first: the answer then carries what the wait learned
   * ({@link SettledState}: `loaded`, `load_failure`, `policy_violations`, `findings`, `settled`).
   * What it asks on the bus it asks in `context` (the HTTP request's).
   */
  async submit(
    parts: SubmissionParts,
    who: Principal,
    waitSeconds = 0,
    signal?: AbortSignal,
    context?: MessageContext,
  ): Promise<Submitted | (Submitted & SettledState)> {
    if (!who.publisher)
      throw new DomainError(
        'forbidden',
        `key ${who.keyId} belongs to no publisher, so it cannot submit plugins; ${PUBLISHER_KEY_HINT}`,
      );
    const manifest = readManifestPart(parts.manifest, this.limits);
    if (!parts.module?.length)
      throw new DomainError(
        'bad_request',
        'the multipart part "module" (.wasm) is missing or empty',
      );
    if (parts.sbom?.length === 0)
      throw new DomainError(
        'bad_request',
        'the multipart part "sbom" is empty: send it or leave it out',
      );
    if (parts.sbom) checkSbomPart(parts.sbom);
    const accepted = await this.register(manifest, parts, who, who.publisher, context);
    if (waitSeconds === 0) return accepted;
    const { plugin_id, version } = accepted;
    const waited = await settledState(
      this.bus,
      { plugin_id, version },
      accepted.status,
      waitSeconds,
      { signal, context },
    );
    return { ...accepted, ...waited };
  }

  private async register(
    manifest: Manifest,
    parts: SubmissionParts,
    who: Principal,
    publisher: string,
    context: MessageContext | undefined,
  ) {
    const staged: StagedArtifact[] = [];
    try {
      const module = await this.artifacts.stage(parts.module!);
      staged.push(module);
      const sbom = parts.sbom && (await this.artifacts.stage(parts.sbom));
      if (sbom) staged.push(sbom);
      return await this.bus.request(
        RequestSubjects.RegistrySubmit,
        {
          manifest,
          module_sha256: module.sha256,
          module_size: module.size,
          upload_id: module.upload_id,
          ...(sbom && {
            sbom: { sha256: sbom.sha256, size: sbom.size, upload_id: sbom.upload_id },
          }),
          submitted_by: who.keyId,
          // Whoever issued the secret held it: approval counts them as the submitter too.
          submitted_by_issuer: who.issuedBy,
          publisher,
        },
        { context },
      );
    } finally {
      await Promise.all(staged.map(({ upload_id }) => this.discard(upload_id)));
    }
  }

  /** A leftover upload is never read; failing to delete it must not hide the registry's answer. */
  private discard(uploadId: string): Promise<void> {
    return this.artifacts
      .discard(uploadId)
      .catch((error: unknown) =>
        this.log.warn(`staged upload ${uploadId} not deleted: ${String(error)}`),
      );
  }
}
