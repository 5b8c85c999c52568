import { DomainError, type SignedBy } from '@convergio/contracts';
import type { EntityManager } from 'typeorm';
import { AcceptedSigner } from './accepted-signer.entity.js';

/**
 * Key continuity at approval (verification checks it too, but a version verified before the
 * plugin id's first signed approval escapes that check): `signer_changed` when the plugin id's
 * accepted signer did not sign this version; undefined when it did, or none is set.
 */
export async function signerChange(
  manager: EntityManager,
  pluginId: string,
  signedBy: SignedBy | null,
): Promise<DomainError | undefined> {
  const accepted = await manager.findOneBy(AcceptedSigner, { pluginId });
  if (!accepted?.signerId || accepted.signerId === signedBy?.signer_id) return undefined;
  const message =
    `versions of ${pluginId} must be signed by ${accepted.signerId} (the signer of its approved ` +
    `versions, or the one an admin accepted for it), this one ` +
    `${signedBy ? `by ${signedBy.signer_id}` : 'is unsigned'}; accept the new signer first with ` +
    `PUT /v1/plugins/${pluginId}/signer, or reject this version`;
  return new DomainError('validation_failed', message, [
    { code: 'signer_changed', message, path: '/signing/signer_id' },
  ]);
}
