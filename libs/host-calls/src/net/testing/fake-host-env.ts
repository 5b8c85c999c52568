import { randomUUID } from 'node:crypto';
import { deserialize, serialize } from 'node:v8';
import type { Permissions } from '@convergio/contracts';
import type {
  HostEnvironment,
  HostError,
  HostFunctionTable,
  MainThreadOps,
  OperatorPolicy,
  PluginIdentity,
} from '@convergio/sandbox';
import { MINIMAL_PATH_PROTECTION } from '@convergio/policy';

/** Operator settings for tests: small caps so limits are easy to hit. */
export function testPolicy(overrides: Partial<OperatorPolicy> = {}): OperatorPolicy {
  return {
    allowPrivateNetworks: true,
    maxFileBytes: 1 << 20,
    maxHttpRequestBytes: 16 * 1024,
    maxHttpResponseBytes: 4 * 1024,
    httpTimeoutMs: 3_000,
    maxWebSocketMessageBytes: 1024,
    maxProcOutputBytes: 1 << 20,
    procTimeoutMs: 1_000,
    maxLogBytes: 4096,
    logLinesPerSecond: 100,
    telemetryEventsPerSecond: 1000,
    denialsPerSecond: 1000,
    protection: MINIMAL_PATH_PROTECTION,
    pluginDir: null,
    ...overrides,
  };
}

export interface RecordedDenial {
  capability: string;
  target: string;
  reason: string;
}

/** A value as the sandbox's bridge carries it across threads: a V8 structured clone. */
const overTheBridge = <T>(value: T): T => deserialize(serialize(value)) as T;

/**
 * A HostEnvironment whose `callMain` runs the real main-thread ops. A worker blocks on
 * callMain; a test thread cannot block on a promise, so `invoke` replays: it runs the host
 * function once to capture the op and payload it sends, awaits the op, then runs the
 * function again with callMain answering that result. Host functions are deterministic in
 * their input, so the second run takes the same path; denials are recorded only where
 * the function calls `deny`, which happens in exactly one of the two runs. Payloads and
 * results are copied as the bridge copies them; its size is not checked here (the sandboxed
 * specs cross the real one).
 */
export class FakeHostEnv {
  readonly denials: RecordedDenial[] = [];
  readonly calls: { op: string; payload: unknown }[] = [];
  /** Each env is one instance: what ops keep for its calls is filed under this. */
  readonly instance = randomUUID();

  constructor(
    private readonly factory: (env: HostEnvironment) => HostFunctionTable,
    private readonly ops: MainThreadOps,
    readonly plugin: PluginIdentity,
    readonly grants: Permissions,
    readonly policy: OperatorPolicy,
    private readonly signal: AbortSignal = new AbortController().signal,
  ) {}

  async invoke(name: string, input: unknown): Promise<unknown> {
    const { result: first, sent } = this.worker(name, input);
    if (!sent) return first;
    const { op, payload } = sent;
    this.calls.push({ op, payload });
    const result = overTheBridge(
      await this.ops[op](payload, {
        plugin: this.plugin,
        signal: this.signal,
        instance: this.instance,
        policy: this.policy,
        grants: this.grants,
      }),
    );
    return this.factory(this.env(() => result))[name](input);
  }

  /**
   * What the host function `name` sends the main thread for `input` (its op and payload, as the
   * bridge carries them), without running the op; null when the worker answers alone.
   */
  sentToMain(name: string, input: unknown): { op: string; payload: unknown } | null {
    return this.worker(name, input).sent;
  }

  private worker(name: string, input: unknown) {
    let sent: { op: string; payload: unknown } | null = null;
    const result = this.factory(
      this.env(
        () => {
          throw new CapturedCall();
        },
        (op, payload) => (sent = { op, payload: overTheBridge(payload) }),
      ),
    )[name](input);
    return { result, sent: sent as { op: string; payload: unknown } | null };
  }

  private env(
    answer: () => unknown,
    capture?: (op: string, payload: unknown) => void,
  ): HostEnvironment {
    return {
      plugin: this.plugin,
      grants: this.grants,
      policy: this.policy,
      deny: (capability, target, reason): HostError => {
        this.denials.push({ capability, target, reason });
        return { error: { code: 'permission_denied', message: reason, capability, target } };
      },
      callMain: (op, payload) => {
        capture?.(op, payload);
        return answer();
      },
      emit: () => undefined,
      emitLogLine: () => undefined,
      countDroppedTelemetry: () => undefined,
      releasedSecrets: () => [],
    };
  }
}

class CapturedCall extends Error {}
