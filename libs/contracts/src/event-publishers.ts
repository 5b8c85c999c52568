import type { EventSubject } from './subjects.js';

/** The platform's services, by the name each one has on the bus (its NATS user, its `source`). */
export const SERVICE_NAMES = [
  'gateway',
  'registry',
  'verification',
  'approval',
  'executor',
  'audit',
  'secret-broker',
] as const;

/** A service's name on the bus. */
export type ServiceName = (typeof SERVICE_NAMES)[number];

/**
 * Which services publish each event: the only `source` a consumer accepts for it. On NATS each
 * event travels on a subject that ends with its publisher (`natsEventSubject`), which
 * deploy/nats/nats.conf lets that publisher alone use, so no service can speak for another, even
 * on an event type two of them publish (ADR 0016, "Sources bound to subjects").
 */
export const EVENT_PUBLISHERS: { readonly [S in EventSubject]: readonly ServiceName[] } = {
  'plugin.submitted': ['registry'],
  'plugin.submission_refused': ['registry'],
  'plugin.owner_changed': ['registry'],
  'plugin.revoked': ['registry'],
  'plugin.verified': ['verification'],
  'plugin.rejected': ['verification', 'approval'],
  'signer.added': ['verification'],
  'signer.rotated': ['verification'],
  'signer.revoked': ['verification'],
  'plugin.signer_changed': ['verification'],
  'plugin.approved': ['approval'],
  'plugin.approval_requested': ['approval'],
  'plugin.approval_recorded': ['approval'],
  'plugin.approval_refused': ['approval'],
  'plugin.approval_withdrawn': ['approval'],
  'plugin.loaded': ['executor'],
  'plugin.unloaded': ['executor'],
  'plugin.crashed': ['executor'],
  'plugin.policy_checked': ['executor'],
  'permission.denied': ['executor', 'secret-broker'],
  'policy.loaded': ['executor', 'verification'],
  'secret.accessed': ['secret-broker'],
  'secret.changed': ['secret-broker'],
  'api_key.created': ['gateway'],
  'api_key.revoked': ['gateway'],
  'api_key.rotated': ['gateway'],
  'api_key.rotation_refused': ['gateway'],
};

/**
 * Why an event's `source` is not accepted, or undefined when it is: the source must publish the
 * event's type and, when the transport names the publisher (the last token of its NATS subject),
 * be that publisher.
 */
export function sourceRefusal(
  subject: EventSubject,
  source: string,
  publisher?: string,
): string | undefined {
  const publishers: readonly string[] = EVENT_PUBLISHERS[subject];
  if (!publishers.includes(source))
    return `source ${JSON.stringify(source)} does not publish ${subject} (only ${publishers.join(', ')})`;
  if (publisher !== undefined && publisher !== source)
    return `source ${JSON.stringify(source)} arrived on the subject of publisher ${JSON.stringify(publisher)}`;
  return undefined;
}
