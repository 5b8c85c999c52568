import { Module, type DynamicModule } from '@nestjs/common';
import { MessagingModule, outboxProviders } from '@convergio/messaging';
import { policyLoadedProvider, type PlatformGrants } from '@convergio/runtime';
import type { InputSchemaBounds } from '@convergio/manifest';
import { CORE_VERSION, INPUT_SCHEMA_BOUNDS, PLATFORM_GRANTS } from './checks/core-version.js';
import { VerificationHandler } from './checks/verification.handler.js';
import { VerificationService } from './checks/verification.service.js';
import { KeyringHandler } from './keyring/keyring.handler.js';
import { KeyringService } from './keyring/keyring.service.js';
import { RELEASE_KEY, type ReleaseKey } from './keyring/release-key.js';
import { SBOM_POLICY, type SbomPolicy } from './sbom/sbom-policy.js';
import { VERIFICATION_SCHEMA, VERIFICATION_SERVICE } from './verification.schema.js';

/**
 * The verification features; `coreVersion` is the core plugins must be compatible with, `grants`
 * the operator grant policy every manifest must fit, `releaseKey` the operator's official signer,
 * `sbom` the operator's SBOM policy and vulnerability database, `inputSchemaBounds` how large
 * and deep tool input schemas may be.
 */
@Module({})
export class VerificationModule {
  static register(settings: {
    coreVersion: string;
    grants: PlatformGrants;
    releaseKey: ReleaseKey | null;
    sbom: SbomPolicy;
    inputSchemaBounds: InputSchemaBounds;
  }): DynamicModule {
    return {
      module: VerificationModule,
      imports: [MessagingModule.forService(VERIFICATION_SERVICE)],
      controllers: [VerificationHandler, KeyringHandler],
      providers: [
        VerificationService,
        KeyringService,
        ...outboxProviders(VERIFICATION_SCHEMA),
        { provide: RELEASE_KEY, useValue: settings.releaseKey },
        { provide: SBOM_POLICY, useValue: settings.sbom },
        { provide: CORE_VERSION, useValue: settings.coreVersion },
        { provide: PLATFORM_GRANTS, useValue: settings.grants },
        { provide: INPUT_SCHEMA_BOUNDS, useValue: settings.inputSchemaBounds },
        policyLoadedProvider(VERIFICATION_SERVICE, settings.grants),
      ],
    };
  }
}
