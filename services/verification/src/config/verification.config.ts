import { Type } from '@sinclair/typebox';
import {
  ArtifactEnv,
  DistributedEnv,
  GrantPolicyEnv,
  InputSchemaEnv,
  OutboxEnv,
  serviceEnv,
} from '@convergio/runtime';
import { ReleaseKeyEnv } from '../keyring/release-key.js';
import { SbomEnv } from '../sbom/sbom-policy.js';

/** Environment of the verification service. */
export const VerificationConfig = Type.Object({
  ...DistributedEnv,
  ...OutboxEnv,
  ...ArtifactEnv,
  ...GrantPolicyEnv,
  ...InputSchemaEnv,
  ...serviceEnv(3002),
  ...ReleaseKeyEnv,
  ...SbomEnv,
  CORE_VERSION: Type.String({
    pattern: '^\\d+\\.\\d+\\.\\d+',
    default: '0.1.0',
    description: 'version of the core that plugins declare min_core_version against',
  }),
});
