import { randomUUID } from 'node:crypto';
import { SandboxError } from '../sandbox-error.js';
import type { CallConnection } from './call-server.js';
import { lastCall } from '../call-state.js';
import type { WorkerFailure } from '../worker-protocol.js';
import {
  UNKNOWN_PROGRESS,
  type FromSandboxProcess,
  type ToSandboxProcess,
} from './process-protocol.js';
import {
  RemoteInstance,
  type Halted,
  type InstanceHost,
  type RemoteInstanceEvents,
} from './remote-instance.js';

/** What {@link RemoteInstances} needs of the sandbox process that hosts them. */
export interface InstanceProcess {
  send(message: ToSandboxProcess): void;
  kill(reason: SandboxError): void;
}

/** The messages of a sandbox process about its instances. */
export type InstanceMessage = Extract<
  FromSandboxProcess,
  {
    type:
      | 'instance_started'
      | 'instance_failed'
      | 'instance_exited'
      | 'instance_halted'
      | 'instance_spared';
  }
>;

const HALT_TIMEOUT_MS = 10_000;
// What a halt answers once the process is gone: it can no longer tell which call had begun.
const UNKNOWN: Halted = { progress: UNKNOWN_PROGRESS, lastCall: undefined };

/**
 * The instances (workers) of one sandbox process as the executor tracks them: started and halted
 * on request, attached to their call sockets when they greet, and lost when the process says one
 * died or the process itself ends.
 */
export class RemoteInstances implements InstanceHost {
  private readonly instances = new Map<string, RemoteInstance>();
  /** The halt asked of each instance and not yet answered (one at a time: see RemoteInstance). */
  private readonly halts = new Map<
    string,
    { call: number | undefined; resolve: (halted: Halted | null) => void }
  >();
  private ended: SandboxError | undefined;

  constructor(
    private readonly process: InstanceProcess,
    private readonly events: RemoteInstanceEvents,
  ) {}

  /** Asks the process for a new instance; resolves once it is ready and has greeted on its socket. */
  start(callSocketPath: string): Promise<RemoteInstance> {
    if (this.ended) return Promise.reject(this.ended);
    const instance = new RemoteInstance(randomUUID(), this, this.events);
    this.instances.set(instance.name, instance);
    this.process.send({ type: 'start_instance', instance: instance.name, callSocketPath });
    return instance.started;
  }

  /** A worker greeted on the call socket; a name this executor did not hand out is dropped. */
  connected(connection: CallConnection): void {
    const instance = this.instances.get(connection.instance);
    if (instance) instance.attach(connection);
    else connection.socket.destroy();
  }

  receive(message: InstanceMessage): void {
    const instance = this.instances.get(message.instance);
    // A halt answered is settled below: an answer nothing asked for ends the process first.
    if (message.type === 'instance_failed' || message.type === 'instance_exited')
      this.instances.delete(message.instance);
    switch (message.type) {
      case 'instance_started':
        return instance?.ready();
      case 'instance_failed':
        return instance?.failed(new SandboxError(message.error.code, message.error.message));
      case 'instance_exited':
        this.countUnsentDrops(message.droppedTelemetry);
        return instance?.lost(
          { code: 'runtime_failure', message: `the plugin worker died: ${message.reason}` },
          { progress: message.progress, lastCall: this.lastCallOf(message.callState) },
        );
      case 'instance_halted':
        this.countUnsentDrops(message.droppedTelemetry);
        return this.settleHalt(message.instance, {
          progress: message.progress,
          lastCall: this.lastCallOf(message.callState),
        });
      case 'instance_spared':
        return this.settleHalt(message.instance, null);
    }
  }

  /**
   * Asks the process to stop instance `name` (with `call`: unless that call has ended); resolves
   * with what its call had used and which call it had begun, or null when it was spared.
   */
  halt(name: string, call?: number): Promise<Halted | null> {
    if (this.ended) return Promise.resolve(UNKNOWN);
    // A process that cannot stop a worker in time cannot be trusted to stop anything: it ends.
    const stuck = setTimeout(
      () =>
        this.process.kill(
          new SandboxError('sandbox_crashed', 'the sandbox process did not stop a call'),
        ),
      HALT_TIMEOUT_MS,
    );
    return new Promise<Halted | null>((resolve) => {
      this.halts.set(name, { call, resolve });
      this.process.send({ type: 'halt_instance', instance: name, call });
    }).finally(() => clearTimeout(stuck));
  }

  /** Stops every instance (see RemoteInstance.stop): their running calls fail with `failure`. */
  async stopAll(failure: WorkerFailure): Promise<void> {
    await Promise.all([...this.instances.values()].map((instance) => instance.stop(failure)));
  }

  refuseQueued(name: string, running: number): void {
    this.process.send({ type: 'refuse_queued', instance: name, running });
  }

  /** An answer to no halt, or a halt that named no call answered spared: the process is broken. */
  private settleHalt(name: string, halted: Halted | null): void {
    const halt = this.halts.get(name);
    if (!halt || (halted === null && halt.call === undefined))
      return this.broken(`an instance was reported ${halted ? 'halted' : 'spared'} unasked`);
    this.halts.delete(name);
    if (halted) this.instances.delete(name);
    halt.resolve(halted);
  }

  /** A call state that is not an int32 marks the process broken; absent: it could not tell. */
  private lastCallOf(callState: number | undefined) {
    if (callState === undefined) return undefined;
    if (!Number.isInteger(callState) || callState !== (callState | 0)) {
      this.broken('a call state that is not a 32-bit integer');
      return undefined;
    }
    return lastCall(callState);
  }

  /**
   * Hands on what an ended worker had dropped and not sent, as its batch would have; a count
   * that is not a non-negative integer marks the process broken, like a malformed batch.
   */
  private countUnsentDrops(count: number): void {
    if (!Number.isSafeInteger(count) || count < 0)
      return this.broken('a count of dropped telemetry events that is not an integer');
    if (count > 0) this.events.emitted?.([{ kind: 'telemetry_dropped', payload: count }]);
  }

  broken(reason: string): void {
    this.process.kill(new SandboxError('sandbox_crashed', reason));
  }

  /** The process ended with `error`: every instance is lost with it. */
  end(error: SandboxError): void {
    this.ended = error;
    for (const instance of this.instances.values())
      instance.lost({ code: error.code, message: error.message }, UNKNOWN);
    this.instances.clear();
    for (const { resolve } of this.halts.values()) resolve(UNKNOWN);
    this.halts.clear();
  }
}
