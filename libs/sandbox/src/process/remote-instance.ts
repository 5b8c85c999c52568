import type { Socket } from 'node:net';
import { nextCallId, type LastCall } from '../call-state.js';
import { encodeFrame, type CallFrame } from '../channel/call-frames.js';
import type { DeniedEvent } from '../sandbox-runtime.js';
import { SandboxError } from '../sandbox-error.js';
import { UNSTARTED, type SupervisedInstance, type WorkerCallOutcome } from '../sandbox-plugin.js';
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

/**
 * What a stopped instance's running call had used, and the last call it had begun (undefined:
 * its process could not tell, so every call sent to it may have run).
 */
export interface Halted {
  progress: CallProgress;
  lastCall: LastCall | undefined;
}

/** The sandbox process hosting an instance, which alone can stop it. */
export interface InstanceHost {
  /** Stops `instance` (with `call`: unless that call has ended, null then). */
  halt(instance: string, call?: number): Promise<Halted | null>;
  /** Refuses, unrun, the calls sent to `instance` and not begun but call `running`. */
  refuseQueued(instance: string, running: number): void;
  /** A worker sent what no worker of ours sends: its process cannot be trusted and must end. */
  broken(reason: string): void;
}

type Pending = { id: number; settle: (outcome: WorkerCallOutcome) => void; begun: () => void };

/**
 * How long the call a halt spared (its process said it had ended) may take to answer on the
 * socket, where its result was already written, ms; past it the process is broken.
 */
const SPARED_ANSWER_MS = 1000;

/**
 * The executor's handle on one plugin worker of a sandbox process. Calls and their results cross
 * the worker's own call socket; the process reports the worker's start and death on its IPC
 * channel, which stays the authority on both (a socket may close before the process's exit is
 * seen, and the exit says why). Calls sent while one runs wait in the worker, in order, and
 * begin there as soon as the one before ends (see InstancePool's queueDepth).
 */
export class RemoteInstance implements SupervisedInstance {
  readonly started: Promise<RemoteInstance>;
  private socket: Socket | undefined;
  /** The calls sent and not answered, in the order sent: the first runs, the others wait. */
  private readonly pending: Pending[] = [];
  private nextId = 1;
  private dead = false;
  // A halt of the running call is under way: no call is handed to this instance meanwhile.
  private halting = false;
  /** The halts and stops asked, one at a time: the process answers each instance's in turn. */
  private stops: Promise<unknown> = Promise.resolve();
  /** The call the worker was told not to refuse (see refuseQueued); none: it refuses nothing. */
  private refusedBut: number | undefined;
  /** Breaks the process unless the call a halt spared answers in time. */
  private spared: { id: number; timer: NodeJS.Timeout } | undefined;
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
    return !this.dead && !this.halting;
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
   * The worker or its process died: the calls sent to it fail with `failure` (the one running
   * with what it had used), but for those it had not begun (see {@link settleStopped}).
   */
  lost(failure: WorkerFailure, halted: Halted): void {
    this.dead = true;
    this.gone = true;
    this.socket?.destroy();
    this.onStart.reject(new SandboxError(failure.code, failure.message));
    this.settleStopped(failure, halted);
  }

  call(
    fn: string,
    input: Uint8Array,
    inputSchema: string | undefined,
    begun: () => void,
  ): Promise<WorkerCallOutcome> {
    // Stopped between its hand-over and this call: nothing was sent, it may run elsewhere.
    if (this.dead || !this.socket) return Promise.resolve(UNSTARTED);
    const id = this.nextId;
    this.nextId = nextCallId(id);
    const socket = this.socket;
    return new Promise((settle) => {
      this.pending.push({ id, settle, begun });
      if (this.pending.length === 1) begun();
      socket.write(encodeFrame({ kind: 'call', id, fn, input, inputSchema }));
    });
  }

  /**
   * Stops the call running now (past its wall time) with the instance, unless it ended first:
   * null then, and the instance serves on. The calls waiting behind it never began: they are
   * answered {@link UNSTARTED}, to run elsewhere.
   */
  halt(): Promise<CallProgress | null> {
    const call = this.pending[0]?.id;
    this.halting = true; // at once: the pool must not hand it a call meanwhile
    return this.oneAtATime(async () => {
      if (this.gone) {
        this.dead = true;
        return UNKNOWN_PROGRESS;
      }
      this.halting = true;
      const halted = await this.host.halt(this.name, call);
      this.halting = false;
      if (halted === null) {
        this.awaitSpared(call);
        return null;
      }
      this.stopped({ code: 'timeout', message: 'the call was stopped' }, halted);
      return halted.progress;
    });
  }

  /**
   * Stops the instance whatever it runs: the call running fails with `failure`, those waiting
   * behind it that never began are answered {@link UNSTARTED}.
   */
  stop(failure: WorkerFailure): Promise<void> {
    this.dead = true;
    return this.oneAtATime(async () => {
      if (this.gone) return;
      this.gone = true;
      const halted = await this.host.halt(this.name);
      this.stopped(failure, halted ?? { progress: UNKNOWN_PROGRESS, lastCall: undefined });
    });
  }

  async terminate(): Promise<void> {
    await this.stop({ code: 'runtime_failure', message: 'the plugin worker was stopped' });
  }

  refuseQueued(): void {
    if (this.pending.length <= 1 || this.gone) return;
    this.refusedBut = this.pending[0].id;
    this.host.refuseQueued(this.name, this.refusedBut);
  }

  private stopped(failure: WorkerFailure, halted: Halted): void {
    this.dead = true;
    this.gone = true;
    this.socket?.destroy();
    this.onStart.reject(new SandboxError(failure.code, failure.message));
    this.settleStopped(failure, halted);
  }

  /** Runs `stop` after the halts asked before it have been answered. */
  private oneAtATime<T>(stop: () => Promise<T>): Promise<T> {
    const next = this.stops.then(stop);
    this.stops = next.catch(() => undefined);
    return next;
  }

  private awaitSpared(call: number | undefined): void {
    if (call === undefined || this.pending[0]?.id !== call) return;
    const timer = setTimeout(
      () => this.host.broken('a call its process said had ended did not answer'),
      SPARED_ANSWER_MS,
    );
    this.spared = { id: call, timer };
  }

  /**
   * Answers every call sent to a stopped instance: those after the last it began never ran
   * ({@link UNSTARTED}); the others fail with `failure`, the one running with what it had used.
   * When the process could not tell what had begun, every call sent may have run.
   */
  private settleStopped(failure: WorkerFailure, { progress, lastCall }: Halted): void {
    clearTimeout(this.spared?.timer);
    const sent = this.pending.splice(0);
    const last =
      lastCall === undefined ? sent.length - 1 : sent.findIndex((p) => p.id === lastCall?.id);
    const running = lastCall === undefined ? 0 : lastCall?.running ? last : -1;
    sent.forEach(({ settle }, i) => {
      if (i > last) settle(UNSTARTED);
      else if (i === running)
        settle({ ok: false, error: failure, resources: { ...progress, wall_ms: 0 } });
      else settle({ ok: false, error: failure });
    });
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
          // Calls run in the order sent: any other answer is not from a worker of ours.
          if (this.pending[0]?.id !== frame.id) {
            this.host.broken(`a worker answered call ${frame.id} out of turn`);
            return;
          }
          // plugin_closed says the call never ran, and may be run again: only a refusal asked.
          if (
            frame.kind === 'failed' &&
            frame.error.code === 'plugin_closed' &&
            (this.refusedBut === undefined || this.refusedBut === frame.id)
          ) {
            this.host.broken(`a worker refused call ${frame.id} unasked`);
            return;
          }
          if (this.spared?.id === frame.id) clearTimeout(this.spared.timer);
          const { settle } = this.pending.shift()!;
          settle(
            frame.kind === 'result'
              ? { ok: true, output: frame.output, resources: frame.resources }
              : { ok: false, error: frame.error, resources: frame.resources },
          );
          this.pending[0]?.begun();
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
