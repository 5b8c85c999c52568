// Which call a plugin worker has begun, shared (Int32Array on a SharedArrayBuffer) between the
// worker and the thread that stops it. The executor sends an instance its next call before the
// running one ends (see InstancePool's queueDepth); when the instance is stopped or dies, this
// says which of the calls sent had begun: those that had not may run elsewhere, those that had
// must not run twice (their side effects happened).
//
// Slot STATE: 0 before any call, +id while call `id` runs, -id once it ended, HALTED once the
// instance is being stopped (no call begins after that). Slot REFUSE: once set to a call's id,
// every other call not yet begun is refused unrun (a plugin paused after repeated crashes lets
// only the call running, as the executor sees it, finish).

const STATE = 0;
const REFUSE = 1;
const HALTED = -0x8000_0000;
/** Call ids stay below this, so +id, -id and HALTED never meet; they wrap to 1. */
const MAX_CALL_ID = 0x4000_0000;

/** Bytes of the shared buffer a {@link CallState} lives in. */
export const CALL_STATE_BYTES = 2 * Int32Array.BYTES_PER_ELEMENT;

/** The id after `id`, for the calls of one instance: 1, 2, ... wrapping below 2^30. */
export function nextCallId(id: number): number {
  return id >= MAX_CALL_ID - 1 ? 1 : id + 1;
}

/**
 * The last call an instance began when it was stopped or died, and whether it was still running:
 * the encoded STATE slot as the stopping thread read it. null: no call had begun.
 */
export type LastCall = { id: number; running: boolean } | null;

/**
 * Decodes a STATE value read by {@link CallStateView.halt} or {@link CallStateView.read};
 * undefined for HALTED (stopped before: what it had begun is not known any more).
 */
export function lastCall(state: number): LastCall | undefined {
  if (state === HALTED) return undefined;
  if (state === 0) return null;
  return { id: Math.abs(state), running: state > 0 };
}

/** The worker's side: marks each call begun and ended; refuses to begin once stopped. */
export class CallStateWriter {
  private readonly state: Int32Array;
  private last = 0;

  constructor(buffer: SharedArrayBuffer) {
    this.state = new Int32Array(buffer);
  }

  /** Marks call `id` begun; false when the instance is being stopped: the call must not run. */
  begin(id: number): boolean {
    if (Atomics.compareExchange(this.state, STATE, this.last, id) !== this.last) return false;
    this.last = id;
    return true;
  }

  /** Marks call `id` ended (a stop that came first keeps the instance stopped). */
  end(id: number): void {
    if (Atomics.compareExchange(this.state, STATE, id, -id) === id) this.last = -id;
  }

  /** Whether call `id`, not yet begun, is to be refused unrun. */
  refuses(id: number): boolean {
    const allowed = Atomics.load(this.state, REFUSE);
    return allowed !== 0 && allowed !== id;
  }
}

/** The stopping thread's side (the worker's owner, in the same process). */
export class CallStateView {
  private readonly state: Int32Array;

  constructor(buffer: SharedArrayBuffer) {
    this.state = new Int32Array(buffer);
  }

  /**
   * Marks the instance stopped so that no call begins any more, and answers the STATE it held.
   * With `call`, not once that call has ended (the STATE then shows it ended, or the call sent
   * after it begun): false, and the instance serves on. A call not yet begun is stopped too.
   */
  halt(call?: number): number | false {
    if (call === undefined) return Atomics.exchange(this.state, STATE, HALTED);
    const after = nextCallId(call);
    for (;;) {
      const now = Atomics.load(this.state, STATE);
      if (now === -call || Math.abs(now) === after) return false;
      if (Atomics.compareExchange(this.state, STATE, now, HALTED) === now) return now;
    }
  }

  /** The STATE slot now (after the worker died: what it had begun). */
  read(): number {
    return Atomics.load(this.state, STATE);
  }

  /** From now on the worker refuses the calls it has not begun, all but call `running`. */
  refuseQueued(running: number): void {
    Atomics.store(this.state, REFUSE, running);
  }
}
