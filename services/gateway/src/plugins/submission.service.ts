import { Inject, Injectable } from '@nestjs/common';
import { DomainError, RequestSubjects, validateManifest } from '@convergio/contracts';
import { BusClient } from '@convergio/messaging';
import { ARTIFACT_STORE, type ArtifactStore } from '@convergio/artifacts';

/** The parts of a multipart submission. */
export interface SubmissionParts {
  manifest?: Buffer | string;
  module?: Buffer;
}

/**
 * Takes a submission apart: the manifest must parse and pass its schema (every
 * problem listed), the module is stored by content, then the registry records it.
 * Nothing is stored when the request is refused.
 */
@Injectable()
export class SubmissionService {
  constructor(
    private readonly bus: BusClient,
    @Inject(ARTIFACT_STORE) private readonly artifacts: ArtifactStore,
  ) {}

  async submit(parts: SubmissionParts, submittedBy: string) {
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
    const { sha256, size } = await this.artifacts.put(parts.module);
    return this.bus.request(RequestSubjects.RegistrySubmit, {
      manifest,
      module_sha256: sha256,
      module_size: size,
      submitted_by: submittedBy,
    });
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
