import { DomainError, type SignedBy, type Trust } from '@convergio/contracts';
import type { Approval } from './approval.entity.js';

const TRUST_RANK: Record<Trust, number> = { untrusted: 0, trusted: 1, official: 2 };

/**
 * The trust a new version starts with: that of the last approved version when the same signer
 * signed both (key continuity keeps it so), else untrusted until an admin designates it.
 */
export function inheritedTrust(previous: Approval | null, signedBy: SignedBy | null): Trust {
  if (!previous || !signedBy || previous.signedBy?.signer_id !== signedBy.signer_id)
    return 'untrusted';
  return TRUST_RANK[previous.trust] <= TRUST_RANK[signedBy.trust] ? previous.trust : signedBy.trust;
}

/**
 * Whether `trust` may be given to the version: up to what its signer vouches for (docs/adr/0012),
 * and never untrusted with proc.exec. Throws validation_failed (`trust_not_allowed`,
 * `proc_exec_untrusted`) otherwise.
 */
export function checkTrust(approval: Approval, trust: Trust): void {
  const ceiling = approval.signedBy?.trust ?? 'untrusted';
  if (TRUST_RANK[trust] > TRUST_RANK[ceiling])
    throw new DomainError(
      'validation_failed',
      approval.signedBy
        ? `signer ${approval.signedBy.signer_id} vouches for "${ceiling}" at most, not "${trust}"`
        : `trust "${trust}" needs a version signed by a keyring signer; ${approval.pluginId}@${approval.version} is unsigned`,
      [{ code: 'trust_not_allowed', message: `at most "${ceiling}"`, path: '/trust' }],
    );
  if (approval.manifest.permissions['proc.exec'] && trust === 'untrusted')
    throw new DomainError(
      'validation_failed',
      'proc.exec is never granted to untrusted plugins: approve with {"trust": "trusted"}',
      [{ code: 'proc_exec_untrusted', message: 'designate the version trusted', path: '/trust' }],
    );
}
