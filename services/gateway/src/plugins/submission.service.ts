import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  DomainError,
  RequestSubjects,
  validateManifest,
  type Manifest,
} from '@convergio/contracts';
import { BusClient } from '@convergio/messaging';
import { ARTIFACT_STORE, type ArtifactStore } from '@convergio/artifacts';
import type { Principal } from '../auth/roles.js';
import { settledStatus } from './settled-state.js';

/** The parts of a multipart submission. */
export interface SubmissionParts {
  manifest?: Buffer | string;
  module?: Buffer;
}

/**
 * Takes a submission apart: the key must belong to a publisher, the manifest must parse and pass
 * its schema (every problem listed), then the module is staged and the registry decides. The
 * registry promotes the staged module into the store only if it accepts the submission; the
 * staged file is discarded here whatever happens, so a refused submission leaves nothing.
 */
@Injectable()
export class SubmissionService {
  private readonly log = new Logger('Submission');

  constructor(
    private readonly bus: BusClient,
    @Inject(ARTIFACT_STORE) private readonly artifacts: ArtifactStore,
  ) {}

  /**
   * Submits; with `waitSeconds`, answers once verification and automatic approval are over
   * (status approved, pending_approval or rejected) or that time has passed, whichever is first.
   */
  async submit(parts: SubmissionParts, who: Principal, waitSeconds = 0) {
    if (!who.publisher)
      throw new DomainError(
        'forbidden',
        `key ${who.keyId} belongs to no publisher, so it cannot submit plugins; an admin creates a publisher key with ` +
          `POST /v1/api-keys {"name": "ci", "roles": ["publisher"], "publisher": "<your publisher name>"}`,
      );
    if (parts.manifest === undefined)
      throw new DomainError(
        'bad_request',
        'the multipart field "manifest" (plugin.json) is missing',
      );
    if (!parts.module?.length)
      throw new DomainError(
        'bad_request',
        'the multipart field "module" (.wasm) is missing or empty',
      );
    const manifest = validateManifest(parseJson(parts.manifest));
    const accepted = await this.register(manifest, parts.module, who.keyId, who.publisher);
    if (waitSeconds === 0) return accepted;
    const { plugin_id, version } = accepted;
    const status = await settledStatus(
      this.bus,
      { plugin_id, version },
      accepted.status,
      waitSeconds,
    );
    return { ...accepted, status };
  }

  private async register(manifest: Manifest, module: Buffer, keyId: string, publisher: string) {
    const staged = await this.artifacts.stage(module);
    try {
      return await this.bus.request(RequestSubjects.RegistrySubmit, {
        manifest,
        module_sha256: staged.sha256,
        module_size: staged.size,
        upload_id: staged.upload_id,
        submitted_by: keyId,
        publisher,
      });
    } finally {
      // A leftover upload is never read; failing to delete it must not hide the registry's answer.
      await this.artifacts
        .discard(staged.upload_id)
        .catch((error: unknown) =>
          this.log.warn(`staged upload ${staged.upload_id} not deleted: ${String(error)}`),
        );
    }
  }
}

function parseJson(raw: Buffer | string): unknown {
  try {
    return JSON.parse(raw.toString()) as unknown;
  } catch (error) {
    throw new DomainError(
      'bad_request',
      `plugin.json is not valid JSON: ${(error as Error).message}`,
    );
  }
}
