import type { HostileEntry } from './hostile-entry.js';
import { MODULE_ENTRIES } from './module-entries.js';
import { SBOM_ENTRIES } from './sbom-entries.js';
import { SIGNATURE_ENTRIES } from './signature-entries.js';
import { TEXT_ENTRIES } from './text-entries.js';

export {
  corpusSubmissionContext,
  corpusSuffix,
  hostileContext,
  type CorpusSigner,
  type HostileContext,
} from './context.js';
export {
  acceptedPackage,
  priorVersion,
  type HostileEntry,
  type HostilePackage,
} from './hostile-entry.js';

/**
 * The hostile and broken packages every layer must refuse (issue 10 item 9), each with the
 * code it is refused with; run at library level (libs/manifest) and through the gateway
 * (platform-e2e).
 */
export const HOSTILE_PACKAGES: readonly HostileEntry[] = [
  ...TEXT_ENTRIES,
  ...MODULE_ENTRIES,
  ...SIGNATURE_ENTRIES,
  ...SBOM_ENTRIES,
];
