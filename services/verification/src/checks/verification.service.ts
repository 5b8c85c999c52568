import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { EventSubjects, type EventEnvelope, type Finding } from '@convergio/contracts';
import { HOST_FUNCTION_NAMES } from '@convergio/host-calls/host-functions';
import {
  CheckCache,
  checkSubmission,
  highRiskPermissions,
  ModuleContentChecker,
  type InputSchemaBounds,
  type SubmissionCheck,
} from '@convergio/manifest';
import { TransactionalOutbox, type MessageContext } from '@convergio/messaging';
import { handleOnce, processedEventEntity } from '@convergio/persistence';
import { ARTIFACT_STORE, ArtifactError, type ArtifactStore } from '@convergio/artifacts';
import { grantContextOf, type PlatformGrants } from '@convergio/runtime';
import { VERIFICATION_SCHEMA, VERIFICATION_SERVICE } from '../verification.schema.js';
import { VerificationRecord } from './verification-record.entity.js';
import { KeyringService } from '../keyring/keyring.service.js';
import { SBOM_POLICY, type SbomPolicy } from '../sbom/sbom-policy.js';
import { checkSubmittedSbom, type SbomStep } from '../sbom/sbom-step.js';
import { CORE_VERSION, INPUT_SCHEMA_BOUNDS, PLATFORM_GRANTS } from './core-version.js';

const ProcessedEvent = processedEventEntity(VERIFICATION_SCHEMA);

/**
 * Runs the load-time checks on every submitted version and announces the verdict. A verified
 * version is `untrusted` until the approving admin designates it (up to what its signer may
 * vouch for, `signed_by.trust`).
 */
@Injectable()
export class VerificationService {
  /** Module and signature results of bytes already checked (docs/adr/0010). */
  readonly cache = new CheckCache();
  /**
   * Module content checks (parsing, profiling, compiling a module of up to 16 MiB) run in worker
   * threads with a time budget and heap limits, never on this service's event loop (docs/adr/0020).
   */
  private readonly contentChecker = new ModuleContentChecker();

  constructor(
    private readonly keyring: KeyringService,
    private readonly dataSource: DataSource,
    private readonly outbox: TransactionalOutbox,
    @Inject(ARTIFACT_STORE) private readonly artifacts: ArtifactStore,
    @Inject(CORE_VERSION) private readonly coreVersion: string,
    @Inject(PLATFORM_GRANTS) private readonly grants: PlatformGrants,
    @Inject(SBOM_POLICY) private readonly sbomPolicy: SbomPolicy,
    @Inject(INPUT_SCHEMA_BOUNDS) private readonly inputSchemaBounds: InputSchemaBounds,
  ) {}

  async verify(event: EventEnvelope<'plugin.submitted'>, context: MessageContext): Promise<void> {
    const { plugin_id, version, manifest: raw, module_sha256 } = event.data;
    const checked = await this.check(raw, module_sha256);
    const sbom = await this.checkSbom(event.data.sbom);
    const verdict: SubmissionCheck =
      checked.ok && sbom.blocking.length > 0
        ? { ok: false, findings: sbom.blocking }
        : checked.ok
          ? { ...checked, findings: sbom.recorded }
          : { ok: false, findings: [...checked.findings, ...sbom.blocking] };
    await handleOnce(
      this.dataSource,
      ProcessedEvent,
      VERIFICATION_SERVICE,
      event.id,
      async (manager) => {
        // The signer may have been revoked, or its key rotated, while the checks ran: decided
        // under its row's lock, so a revocation either sees this version among those it
        // revokes or the version is refused here.
        const changed =
          verdict.ok && verdict.signature
            ? await this.keyring.changedSince(manager, verdict.signature)
            : undefined;
        const check: SubmissionCheck = changed ? { ok: false, findings: [changed] } : verdict;
        const findings: Finding[] = check.findings;
        await manager.upsert(
          VerificationRecord,
          {
            pluginId: plugin_id,
            version,
            outcome: check.ok ? 'verified' : 'rejected',
            moduleSha256: module_sha256,
            findings,
            signerId: check.ok ? (check.signature?.signerId ?? null) : null,
            keyId: check.ok ? (check.signature?.keyId ?? null) : null,
            manifestDigest: check.ok ? check.manifestDigest : null,
          },
          ['pluginId', 'version'],
        );
        if (!check.ok) {
          await this.outbox.add(
            manager,
            EventSubjects.PluginRejected,
            {
              plugin_id,
              version,
              stage: 'verification',
              reasons: findings,
              rejected_by: VERIFICATION_SERVICE,
            },
            context,
          );
          return;
        }
        await this.outbox.add(
          manager,
          EventSubjects.PluginVerified,
          {
            plugin_id,
            version,
            manifest: check.manifest,
            module_sha256,
            trust: 'untrusted',
            // Who submitted, and who issued the secret that did, travel to approval, which refuses
            // to let either approve it.
            submitted_by: event.data.submitted_by,
            submitted_by_issuer: event.data.submitted_by_issuer ?? null,
            ...(event.data.publisher !== undefined && { publisher: event.data.publisher }),
            ...(check.signature && {
              signed_by: {
                signer_id: check.signature.signerId,
                key_id: check.signature.keyId,
                trust: check.signature.trust,
              },
            }),
            high_risk_permissions: [
              ...new Set([
                ...highRiskPermissions(check.manifest.permissions),
                ...check.adminRequired.map((r) => r.permission),
              ]),
            ],
            findings: [
              ...findings,
              ...check.adminRequired.map((r) => ({
                code: 'admin_required',
                message: r.reason,
                path: `/permissions/${r.permission}`,
              })),
            ],
          },
          context,
        );
      },
    );
  }

  /** The SBOM step; an SBOM the artifact store cannot give back is a finding, as a module's is. */
  private async checkSbom(sbom: { sha256: string } | undefined): Promise<SbomStep> {
    try {
      return await checkSubmittedSbom(
        sbom,
        (sha256) => this.artifacts.get(sha256),
        this.sbomPolicy,
        this.cache,
      );
    } catch (error) {
      if (!(error instanceof ArtifactError)) throw error;
      return {
        blocking: [{ code: error.code, message: error.message, path: '/sbom' }],
        recorded: [],
      };
    }
  }

  /** Every check of libs/manifest, against the keyring as it is now and the operator policy. */
  private async check(raw: unknown, sha256: string): Promise<SubmissionCheck> {
    try {
      return await checkSubmission(
        raw,
        { sha256, bytes: () => this.artifacts.get(sha256) },
        {
          coreVersion: this.coreVersion,
          keyring: await this.keyring.snapshot(raw),
          policy: this.grants.policy,
          grantContext: (pluginId) => grantContextOf(this.grants, pluginId),
          hostFunctions: HOST_FUNCTION_NAMES,
          inputSchemaBounds: this.inputSchemaBounds,
          cache: this.cache,
          checkContent: (input) => this.contentChecker.check(input),
        },
      );
    } catch (error) {
      if (!(error instanceof ArtifactError)) throw error;
      return { ok: false, findings: [{ code: error.code, message: error.message }] };
    }
  }
}
