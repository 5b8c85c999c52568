import { randomUUID } from 'node:crypto';
import { SandboxError } from '../sandbox-error.js';
import type { CallConnection } from './call-server.js';
import {
  UNKNOWN_PROGRESS,
  type CallProgress,
  type FromSandboxProcess,
  type ToSandboxProcess,
} from './process-protocol.js';
import { RemoteInstance, type InstanceHost, type RemoteInstanceEvents } from './remote-instance.js';

/** What {@link RemoteInstances} needs of the sandbox process that hosts them. */
export interface InstanceProcess {
  send(message: ToSandboxProcess): void;
  kill(reason: SandboxError): void;
}

/** The messages of a sandbox process about its instances. */
export type InstanceMessage = Extract<
  FromSandboxProcess,
  { type: 'instance_started' | 'instance_failed' | 'instance_exited' | 'instance_halted' }
>;

const HALT_TIMEOUT_MS = 10_000;

/**
 * The instances (workers) of one sandbox process as the executor tracks them: started and halted
 * on request, attached to their call sockets when they greet, and lost when the process says one
 * died or the process itself ends.
 */
export class RemoteInstances implements InstanceHost {
  private readonly instances = new Map<string, RemoteInstance>();
  private readonly halts = new Map<string, (progress: CallProgress) => void>();
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
    if (message.type !== 'instance_started') this.instances.delete(message.instance);
    switch (message.type) {
      case 'instance_started':
        return instance?.ready();
      case 'instance_failed':
        return instance?.failed(new SandboxError(message.error.code, message.error.message));
      case 'instance_exited':
        this.countUnsentDrops(message.droppedTelemetry);
        return instance?.lost(
          { code: message.code, message: `the plugin worker died: ${message.reason}` },
          message.progress,
        );
      case 'instance_halted':
        this.countUnsentDrops(message.droppedTelemetry);
        this.halts.get(message.instance)?.(message.progress);
        this.halts.delete(message.instance);
        return;
    }
  }

  halt(name: string): Promise<CallProgress> {
    if (this.ended) return Promise.resolve(UNKNOWN_PROGRESS);
    // A process that cannot stop a worker in time cannot be trusted to stop anything: it ends.
    const stuck = setTimeout(
      () =>
        this.process.kill(
          new SandboxError('sandbox_crashed', 'the sandbox process did not stop a call'),
        ),
      HALT_TIMEOUT_MS,
    );
    return new Promise<CallProgress>((resolve) => {
      this.halts.set(name, resolve);
      this.process.send({ type: 'halt_instance', instance: name });
    }).finally(() => clearTimeout(stuck));
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
      instance.lost({ code: error.code, message: error.message });
    this.instances.clear();
    for (const resolve of this.halts.values()) resolve(UNKNOWN_PROGRESS);
    this.halts.clear();
  }
}
