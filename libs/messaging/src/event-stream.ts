import {
  JetStreamApiCodes,
  JetStreamApiError,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamInfo,
} from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import { ALL_EVENT_SUBJECTS, EVENT_PUBLISHERS } from '@convergio/contracts';
import { natsEventSubject, streamName } from './bus-names.js';

/** How long JetStream remembers message ids for publish de-duplication. */
export const DUPLICATE_WINDOW_MS = 10 * 60_000;

/**
 * The deploy step that alone defines the event stream in production (its NATS user is
 * `provisioner`; docs/operator-guide.md, "NATS in production").
 */
export const PROVISIONING_COMMAND = 'node services/provisioner/dist/main.js';

/** Why a service logged in as itself does not boot on the event stream. */
export type EventStreamProblem =
  /** No stream: the provisioning step has not run on this server. */
  | 'event_stream_missing'
  /** Subjects of this release are not on it: the provisioning step of this release has not run. */
  | 'event_stream_outdated'
  /** Subjects beyond this release are on it: a newer release's stream, or a tampered one. */
  | 'event_stream_foreign_subjects';

/**
 * A service's boot refused because of the event stream. The message starts with the code and
 * names the provisioning step; `subjects` are the ones lacking or foreign.
 */
export class EventStreamError extends Error {
  override readonly name = 'EventStreamError';

  constructor(
    readonly code: EventStreamProblem,
    message: string,
    readonly subjects: readonly string[] = [],
  ) {
    super(`${code}: ${message}`);
  }
}

/** What the provisioning step did to the stream; `added` and `removed` are NATS subjects. */
export interface StreamProvisioning {
  stream: string;
  outcome: 'created' | 'updated' | 'unchanged';
  /** The release's subjects: the stream holds exactly these now. */
  subjects: readonly string[];
  added: readonly string[];
  removed: readonly string[];
}

/**
 * The event stream of this release: every event subject of libs/contracts for each of its
 * publishers, and its limits.
 */
function releaseStream(prefix: string) {
  return {
    name: streamName(prefix),
    subjects: releaseEventSubjects(prefix),
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    duplicate_window: nanos(DUPLICATE_WINDOW_MS),
  };
}

/** Every NATS event subject of this release: `<prefix>.<event subject>.<publisher>`. */
export function releaseEventSubjects(prefix: string): string[] {
  return ALL_EVENT_SUBJECTS.flatMap((s) =>
    EVENT_PUBLISHERS[s].map((publisher) => natsEventSubject(prefix, s, publisher)),
  );
}

/**
 * Creates the event stream, or updates it to exactly this release's subjects and limits (limits
 * the release leaves unset, such as a max_age an operator added, stay as they are). Run by the
 * provisioning step, and by every service that connects without credentials (development).
 * @throws the server's refusal (a permissions violation for a user not allowed to define it)
 */
export async function provisionEventStream(
  nc: NatsConnection,
  prefix: string,
): Promise<StreamProvisioning> {
  const jsm = await jetstreamManager(nc);
  const release = releaseStream(prefix);
  const result = { stream: release.name, subjects: release.subjects };
  const current = await findStream(jsm, release.name);
  if (!current) {
    await jsm.streams.add(release);
    return { ...result, outcome: 'created', added: release.subjects, removed: [] };
  }
  const { lacking, foreign } = compareSubjects(current.config.subjects, release.subjects);
  const sameLimits =
    current.config.retention === release.retention &&
    current.config.storage === release.storage &&
    current.config.duplicate_window === release.duplicate_window;
  if (lacking.length === 0 && foreign.length === 0 && sameLimits)
    return { ...result, outcome: 'unchanged', added: [], removed: [] };
  await jsm.streams.update(release.name, release);
  return { ...result, outcome: 'updated', added: lacking, removed: foreign };
}

/**
 * Looks the event stream up, as a service logged in as itself does at boot: it never defines it.
 * @throws EventStreamError when the stream is missing, lacks a subject of this release, or holds
 *   one beyond it (the foreign subjects first: whoever reads the stream reads what they carry)
 */
export async function checkEventStream(nc: NatsConnection, prefix: string): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const release = releaseStream(prefix);
  const current = await findStream(jsm, release.name);
  const step = `run the provisioning step (${PROVISIONING_COMMAND}, NATS user "provisioner"; docs/operator-guide.md, "NATS in production")`;
  if (!current)
    throw new EventStreamError(
      'event_stream_missing',
      `the event stream ${release.name} does not exist and services do not create it: ${step}, then start the services`,
    );
  const { lacking, foreign } = compareSubjects(current.config.subjects, release.subjects);
  if (foreign.length > 0)
    throw new EventStreamError(
      'event_stream_foreign_subjects',
      `the event stream ${release.name} stores subjects this release does not define: ${foreign.join(', ')}; ` +
        'whoever reads the stream reads every message sent on them (requests and inboxes carry secrets and tokens). ' +
        `If a newer release was provisioned, run that release's services; otherwise the stream was changed behind the deployment: find out by whom, and ${step} of this release`,
      foreign,
    );
  if (lacking.length > 0)
    throw new EventStreamError(
      'event_stream_outdated',
      `the event stream ${release.name} lacks subjects of this release: ${lacking.join(', ')} (their events would be refused): ${step} of this release before its services`,
      lacking,
    );
}

async function findStream(jsm: JetStreamManager, name: string): Promise<StreamInfo | undefined> {
  return jsm.streams.info(name).catch((error: unknown) => {
    if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound)
      return undefined;
    throw error;
  });
}

function compareSubjects(current: readonly string[] | undefined, release: readonly string[]) {
  const on = new Set(current);
  return {
    lacking: release.filter((s) => !on.has(s)),
    foreign: [...on].filter((s) => !release.includes(s)),
  };
}
