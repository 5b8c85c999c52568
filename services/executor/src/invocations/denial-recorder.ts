import { Logger } from '@nestjs/common';
import { EventSubjects, type EventPayloadMap } from '@convergio/contracts';
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
  /** Denials written per transaction. */
  batch: number;
  /** Kinds (plugin version and capability) of folded denials held; past it, only counted. */
  maxFoldedKinds: number;
}

const DEFAULT_LIMITS: DenialRecorderLimits = { maxWaiting: 2000, batch: 100, maxFoldedKinds: 1000 };

interface Folded {
  first: Denial;
  count: number;
}

/**
 * Writes permission.denied events through the outbox, many to a transaction, in the background:
 * a call never waits for its denials to be stored. A plugin can be refused thousands of times a
 * call, faster than any database stores one event per transaction; each denial held costs
 * memory until it is written. So at most `maxWaiting` are held: past that, denials are folded
 * per plugin version and capability, and each kind is recorded as one more permission.denied
 * once the backlog is written, naming the first target and how many denials it stands for.
 * Nothing is dropped without a record: a denial that cannot be written at all is logged whole,
 * and counts past `maxFoldedKinds` kinds are logged as an error.
 */
export class DenialRecorder {
  private readonly log = new Logger(DenialRecorder.name);
  private readonly waiting: Denial[] = [];
  private readonly folded = new Map<string, Folded>();
  private uncounted = 0;
  private writing: Promise<void> | undefined;

  constructor(
    private readonly outbox: TransactionalOutbox,
    private readonly limits: DenialRecorderLimits = DEFAULT_LIMITS,
  ) {}

  /** Queues a denial (its payload already valid: see deniedEvent). */
  record(denial: Denial): void {
    if (this.waiting.length < this.limits.maxWaiting) this.waiting.push(denial);
    else this.fold(denial);
    this.writing ??= this.writeAll().finally(() => (this.writing = undefined));
  }

  /** Resolves once everything queued so far is written (or logged as not written). */
  async settled(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private fold(denial: Denial): void {
    const kind = `${denial.plugin_id}@${denial.version} ${denial.capability}`;
    const folded = this.folded.get(kind);
    if (folded) folded.count++;
    else if (this.folded.size < this.limits.maxFoldedKinds)
      this.folded.set(kind, { first: denial, count: 1 });
    else this.uncounted++;
  }

  private async writeAll(): Promise<void> {
    for (;;) {
      if (this.waiting.length === 0) this.unfold();
      if (this.waiting.length === 0) return;
      await this.write(this.waiting.splice(0, this.limits.batch));
    }
  }

  /** The folded kinds become denials of their own, each standing for its count. */
  private unfold(): void {
    for (const { first, count } of this.folded.values())
      this.waiting.push(
        deniedEvent(
          { id: first.plugin_id, version: first.version },
          {
            ...first,
            reason: `${count} denials of ${first.capability} came while ${this.limits.maxWaiting} were waiting to be recorded; this one stands for them all, the first of them named (its reason: ${first.reason})`,
          },
        ),
      );
    this.folded.clear();
    if (this.uncounted > 0)
      this.log.error(
        `${this.uncounted} permission.denied events were not recorded: more than ${this.limits.maxFoldedKinds} kinds of denials were folded at once`,
      );
    this.uncounted = 0;
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
