import { processedEventEntity } from '@convergio/persistence';
import { VerificationRecord } from './checks/verification-record.entity.js';
import { PluginSigner } from './keyring/plugin-signer.entity.js';
import { SignerKey } from './keyring/signer-key.entity.js';
import { Signer } from './keyring/signer.entity.js';
import { VerificationInit1764300000000 } from './migrations/1764300000000-verification-init.js';
import { VerificationKeyring1764900000000 } from './migrations/1764900000000-verification-keyring.js';
import { VerificationOutbox1766500000000 } from './migrations/1766500000000-verification-outbox.js';
import { VerificationOutboxDeadLetters1766600000000 } from './migrations/1766600000000-verification-outbox-dead-letters.js';
import { VERIFICATION_SCHEMA } from './verification.schema.js';

export { VerificationModule } from './verification.module.js';
export { ReleaseKeyEnv, releaseKeyOf } from './keyring/release-key.js';
export { SbomEnv, sbomPolicyOf, type SbomPolicy } from './sbom/sbom-policy.js';
/** Tables and migrations of the verification service. */
export const verificationPersistence = {
  schema: VERIFICATION_SCHEMA,
  entities: [
    VerificationRecord,
    Signer,
    SignerKey,
    PluginSigner,
    processedEventEntity(VERIFICATION_SCHEMA),
  ],
  migrations: [
    VerificationInit1764300000000,
    VerificationKeyring1764900000000,
    VerificationOutbox1766500000000,
    VerificationOutboxDeadLetters1766600000000,
  ],
};
