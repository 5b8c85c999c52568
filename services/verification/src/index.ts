import { processedEventEntity } from '@convergio/persistence';
import { VerificationRecord } from './checks/verification-record.entity.js';
import { VerificationInit1764300000000 } from './migrations/1764300000000-verification-init.js';
import { VERIFICATION_SCHEMA } from './verification.schema.js';

export { VerificationModule } from './verification.module.js';
/** Tables and migrations of the verification service. */
export const verificationPersistence = {
  schema: VERIFICATION_SCHEMA,
  entities: [VerificationRecord, processedEventEntity(VERIFICATION_SCHEMA)],
  migrations: [VerificationInit1764300000000],
};
