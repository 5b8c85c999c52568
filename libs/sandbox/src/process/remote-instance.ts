import type { Socket } from 'node:net';
import { encodeFrame, type CallFrame } from '../channel/call-frames.js';
import type { DeniedEvent } from '../sandbox-runtime.js';
import { SandboxError } from '../sandbox-error.js';
import type { SupervisedInstance, WorkerCallOutcome } from '../sandbox-plugin.js';
import { parseEvents } from '../event-batch.js';
import type { EmittedEvent, WorkerFailure } from '../worker-protocol.js';
import type { CallConnection } from './call-server.js';
import { UNKNOWN_PROGRESS, type CallProgress } from './process-protocol.js';

/** What an instance's worker sends besides call results. */
export interface RemoteInstanceEvents {
  denied(event: DeniedEvent): void;
  /** Log lines and telemetry events; without a listener their batches are not even parsed. */
  emitted?: (events: EmittedEvent[]) => void;
}

/** The sandbox process hosting an instance, which alone can stop it. */
export interface InstanceHost {
  halt(instance: string): Promise<CallProgress>;
  /** A worker sent what no worker of ours sends: its process cannot be trusted and must end. */
  broken(reason: string): void;
}

type Pending = { id: number; settle: (outcome: WorkerCallOutcome) => void };

/**
 * The executor's handle on one plugin worker of a sandbox process. Calls and their results cross
 * the worker's own call socket; the process reports the worker's start and death on its IPC
 * channel, which stays the authority on both (a socket may close before the process's exit is
 * seen, and the exit says why).
 */
export class RemoteInstance implements SupervisedInstance {
  readonly started: Promise<RemoteInstance>;
  private socket: Socket | undefined;
  private pending: Pending | undefined;
  private nextId = 1;
  private dead = false;
  // Reported gone by its process (or with it): there is nothing left to halt.
  private gone = false;
  private startedByHost = false;
  private onStart!: {
    resolve: (instance: RemoteInstance) => void;
    reject: (error: SandboxError) => void;
  };

  constructor(
    /** The name the worker greets with; unguessable, so no other connection can take its place. */
    readonly name: string,
    private readonly host: InstanceHost,
    private readonly events: RemoteInstanceEvents,
  ) {
    this.started = new Promise((resolve, reject) => (this.onStart = { resolve, reject }));
  }

  get alive(): boolean {
    return !this.dead;
  }

  /** The worker greeted on its call socket. */
  attach({ socket, reader, frames }: CallConnection): void {
    if (this.socket || this.dead) return void socket.destroy();
    this.socket = socket;
    this.receive(frames);
    socket.on('data', (chunk: Buffer) => {
      let more: CallFrame[];
      try {
        more = reader.push(chunk);
      } catch (error) {
        socket.destroy();
        this.host.broken(`a worker broke its call socket: ${String(error)}`);
        return;
      }
      this.receive(more);
    });
    this.settleStart();
  }

  /** The process reports the worker ready. */
  ready(): void {
    this.startedByHost = true;
    this.settleStart();
  }

  /** The worker did not start (or its process ended first): `error` says why. */
  failed(error: SandboxError): void {
    this.dead = true;
    this.gone = true;
    this.socket?.destroy();
    this.onStart.reject(error);
  }

  /**
   * The worker or its process died: the call running fails with `failure` and what it had used,
   * if the process could still tell (`progress`).
   */
  lost(failure: WorkerFailure, progress?: CallProgress): void {
    this.dead = true;
    this.gone = true;
    this.socket?.destroy();
    this.onStart.reject(new SandboxError(failure.code, failure.message));
    const pending = this.pending;
    this.pending = undefined;
    pending?.settle({
      ok: false,
      error: failure,
      ...(progress && { resources: { ...progress, wall_ms: 0 } }),
    });
  }

  call(fn: string, input: Uint8Array, inputSchema?: string): Promise<WorkerCallOutcome> {
    if (this.dead || !this.socket)
      return Promise.resolve({
        ok: false,
        error: { code: 'runtime_failure', message: 'the plugin worker is gone' },
      });
    const id = this.nextId++;
    const socket = this.socket;
    return new Promise((settle) => {
      this.pending = { id, settle };
      socket.write(encodeFrame({ kind: 'call', id, fn, input, inputSchema }));
    });
  }

  async halt(): Promise<CallProgress> {
    this.dead = true;
    this.pending = undefined;
    if (this.gone) return UNKNOWN_PROGRESS;
    this.gone = true;
    const progress = await this.host.halt(this.name);
    this.socket?.destroy();
    return progress;
  }

  async terminate(): Promise<void> {
    await this.halt();
  }

  private emitted(listener: (events: EmittedEvent[]) => void, json: string): void {
    let events: EmittedEvent[];
    try {
      events = parseEvents(json);
    } catch (error) {
      this.host.broken(`a worker sent events that are not JSON: ${String(error)}`);
      return;
    }
    listener(events);
  }

  private settleStart(): void {
    if (this.socket && this.startedByHost && !this.dead) this.onStart.resolve(this);
  }

  private receive(frames: CallFrame[]): void {
    for (const frame of frames) {
      switch (frame.kind) {
        case 'result':
        case 'failed': {
          if (this.pending?.id !== frame.id) break;
          const { settle } = this.pending;
          this.pending = undefined;
          settle(
            frame.kind === 'result'
              ? { ok: true, output: frame.output, resources: frame.resources }
              : { ok: false, error: frame.error, resources: frame.resources },
          );
          break;
        }
        case 'denied':
          this.events.denied({
            capability: frame.capability,
            target: frame.target,
            reason: frame.reason,
          });
          break;
        case 'emitted':
          if (this.events.emitted) this.emitted(this.events.emitted, frame.json);
          break;
        case 'call':
        case 'hello':
          this.host.broken(`a worker sent a ${frame.kind} frame`);
          return;
      }
    }
  }
}
