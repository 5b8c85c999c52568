import { Logger } from '@nestjs/common';
import {
  EventSubjects,
  pluginVersionKey,
  type EventPayloadMap,
  type PluginVersionKey,
} from '@convergio/contracts';
import type { TransactionalOutbox } from '@convergio/messaging';
import type { PluginIdentity } from '@convergio/sandbox';

type Denial = EventPayloadMap['permission.denied'];

/** Longest target or reason a permission.denied carries, in code points. */
const MAX_DENIAL_TEXT = 2000;

/**
 * The permission.denied payload of a denial, valid whatever the plugin put in it: text clipped
 * without splitting a surrogate pair. NUL, controls and lone surrogates are kept as they are:
 * the audit log escapes them when it stores the event.
 */
export function deniedEvent(
  plugin: Pick<PluginIdentity, 'id' | 'version'>,
  denial: { capability: string; target: string; reason: string },
) {
  return {
    plugin_id: plugin.id,
    version: plugin.version,
    capability: clip(String(denial.capability), 100),
    target: clip(String(denial.target), MAX_DENIAL_TEXT),
    reason: clip(String(denial.reason), MAX_DENIAL_TEXT),
  };
}

function clip(text: string, codeUnits: number): string {
  if (text.length <= codeUnits) return text;
  const last = text.charCodeAt(codeUnits - 1);
  // Cutting after a high surrogate would strand it and lose its pair.
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? codeUnits - 1 : codeUnits);
}

/** Bounds of a {@link DenialRecorder}; the defaults suit the executor. */
export interface DenialRecorderLimits {
  /** Denials held for writing at once (each up to ~8 KiB): past it, they are folded. */
  maxWaiting: number;
  /** Of those, the most one plugin version may hold, so that its flood leaves room for others. */
  maxWaitingPerVersion: number;
  /** Denials written per transaction. */
  batch: number;
  /**
   * Folded records held for one target each; past it, a denial counts in the record of the rest
   * of its kind, which every kind keeps (kinds are bounded: versions loaded here × capabilities).
   */
  maxFoldedKinds: number;
  /** Targets of one kind (plugin version and capability) folded each under its own name. */
  maxTargetsPerKind: number;
}

const DEFAULT_LIMITS: DenialRecorderLimits = {
  maxWaiting: 2000,
  maxWaitingPerVersion: 200,
  batch: 100,
  maxFoldedKinds: 1000,
  maxTargetsPerKind: 64,
};

interface Folded {
  first: Denial;
  count: number;
  /** True when it stands for targets past maxTargetsPerKind, not for one target. */
  rest: boolean;
}

/**
 * Writes permission.denied events through the outbox, many to a transaction, in the background:
 * a call never waits for its denials to be stored. A plugin can be refused thousands of times a
 * call, faster than any database stores one event per transaction; each denial held costs
 * memory until it is written. So at most `maxWaiting` are held, at most `maxWaitingPerVersion`
 * of them one version's: past that, a version's denials are folded, one record per target
 * (so 9,000 refusals of /etc/shadow cannot hide the 20 probes after them), up to
 * `maxTargetsPerKind` targets per plugin version and capability and `maxFoldedKinds` such
 * records in all, then one record for the rest of that kind. Each folded record is written once
 * the backlog is, naming its (first) target and how many denials it stands for. Nothing is
 * dropped without a record of its plugin version: a denial that cannot be written at all is
 * logged whole.
 */
export class DenialRecorder {
  private readonly log = new Logger(DenialRecorder.name);
  private readonly waiting: Denial[] = [];
  /** Denials waiting, per plugin version. */
  private readonly waitingOf = new Map<PluginVersionKey, number>();
  private readonly folded = new Map<string, Folded>();
  /** Targets folded under their own name, per kind. */
  private readonly targetsOf = new Map<string, number>();
  private writing: Promise<void> | undefined;

  constructor(
    private readonly outbox: TransactionalOutbox,
    private readonly limits: DenialRecorderLimits = DEFAULT_LIMITS,
  ) {}

  /** Queues a denial (its payload already valid: see deniedEvent). */
  record(denial: Denial): void {
    const version = versionOf(denial);
    const held = this.waitingOf.get(version) ?? 0;
    if (this.waiting.length < this.limits.maxWaiting && held < this.limits.maxWaitingPerVersion) {
      this.waiting.push(denial);
      this.waitingOf.set(version, held + 1);
    } else this.fold(denial);
    this.writing ??= this.writeAll().finally(() => (this.writing = undefined));
  }

  /** Resolves once everything queued so far is written (or logged as not written). */
  async settled(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private fold(denial: Denial): void {
    const kind = `${versionOf(denial)} ${denial.capability}`;
    const one = this.folded.get(`${kind}\n${denial.target}`);
    if (one) return void one.count++;
    const targets = this.targetsOf.get(kind) ?? 0;
    const room = this.folded.size < this.limits.maxFoldedKinds;
    if (room && targets < this.limits.maxTargetsPerKind) {
      this.folded.set(`${kind}\n${denial.target}`, { first: denial, count: 1, rest: false });
      this.targetsOf.set(kind, targets + 1);
      return;
    }
    const rest = this.folded.get(`${kind} *`);
    // Always one: a flood of other kinds must not leave a new kind's denials counted nowhere.
    if (rest) rest.count++;
    else this.folded.set(`${kind} *`, { first: denial, count: 1, rest: true });
  }

  private async writeAll(): Promise<void> {
    for (;;) {
      if (this.waiting.length === 0) this.unfold();
      if (this.waiting.length === 0) return;
      const batch = this.waiting.splice(0, this.limits.batch);
      for (const denial of batch) {
        const version = versionOf(denial);
        const held = (this.waitingOf.get(version) ?? 1) - 1;
        if (held > 0) this.waitingOf.set(version, held);
        else this.waitingOf.delete(version);
      }
      await this.write(batch);
    }
  }

  /** The folded records become denials of their own, each standing for its count. */
  private unfold(): void {
    const { maxWaiting, maxWaitingPerVersion, maxTargetsPerKind } = this.limits;
    for (const { first, count, rest } of this.folded.values()) {
      const what = rest
        ? `of targets past the ${maxTargetsPerKind} recorded by name`
        : 'of this target';
      this.waiting.push(
        deniedEvent(
          { id: first.plugin_id, version: first.version },
          {
            ...first,
            reason: `${count} denials of ${first.capability} ${what} came while ${maxWaiting} denials (or ${maxWaitingPerVersion} of this version) were waiting to be recorded; this one stands for them all, the first of them named (its reason: ${first.reason})`,
          },
        ),
      );
    }
    this.folded.clear();
    this.targetsOf.clear();
  }

  private async write(batch: Denial[]): Promise<void> {
    try {
      await this.outbox.recordAll(EventSubjects.PermissionDenied, batch);
    } catch {
      // One at a time: a denial the batch could not take must not take the others with it.
      for (const denial of batch)
        await this.outbox.record(EventSubjects.PermissionDenied, denial).catch((error: unknown) =>
          // The log is then the only record of the denial: all of it, JSON-escaped.
          this.log.error(
            `permission.denied not recorded (${String(error)}): ${JSON.stringify(denial)}`,
          ),
        );
    }
  }
}

const versionOf = (denial: Denial) => pluginVersionKey(denial.plugin_id, denial.version);
