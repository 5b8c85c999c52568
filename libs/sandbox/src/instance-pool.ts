/** What the pool needs of an instance: whether it can still serve, and how to stop it. */
export interface PooledInstance {
  readonly alive: boolean;
  terminate(): Promise<void>;
}

/** Sizing of an {@link InstancePool}. */
export interface InstancePoolOptions<I> {
  spawn: () => Promise<I>;
  /** Instances that may serve calls at once; calls beyond wait in arrival order. */
  maxInstances: number;
  /**
   * Calls an instance is handed at once when every instance is busy and no more may start: the
   * one it runs and those that wait in it to begin the moment it ends (1: one at a time). Those
   * waiting in an instance that stops before they begin must run elsewhere (UNSTARTED).
   */
  queueDepth?: number;
  /** A spare instance (any beyond the first) idle this long is stopped. */
  spareIdleMs: number;
  /** A spawn failed while other instances remain, so no caller hears of it. */
  onSpawnError: (error: unknown) => void;
}

type Waiter<I> = {
  resolve: (instance: I) => void;
  reject: (error: unknown) => void;
  alone: boolean;
};

/**
 * The instances of one plugin: grows on demand up to `maxInstances`, hands each to one call at a
 * time (up to `queueDepth` once all are busy), replaces dead ones, keeps one warm, and stops
 * spares that stay idle.
 */
export class InstancePool<I extends PooledInstance> {
  private readonly idle: I[] = [];
  private readonly waiting: Waiter<I>[] = [];
  private readonly spareTimers = new Map<I, NodeJS.Timeout>();
  /** The calls each busy instance has been handed and not given back. */
  private readonly handed = new Map<I, number>();
  private instances = 0;
  private busy = 0;
  private closed = false;
  private drained: (() => void) | undefined;

  constructor(private readonly options: InstancePoolOptions<I>) {}

  /** Starts the first instance; rejects with what kept it from starting. */
  async start(): Promise<void> {
    this.instances++;
    try {
      this.idle.push(await this.options.spawn());
    } catch (error) {
      this.instances--;
      throw error;
    }
  }

  /**
   * Runs `task` on an instance, with at most `queueDepth - 1` other calls (none when `alone`: a
   * call that already waited in an instance stopped before it began does not wait in one again).
   */
  async use<T>(task: (instance: I) => Promise<T>, { alone = false } = {}): Promise<T> {
    const instance = await this.acquire(alone); // counted busy from the moment it is handed over
    try {
      return await task(instance);
    } finally {
      this.busy--;
      this.release(instance);
    }
  }

  /** Instances started or starting. */
  get size(): number {
    return this.instances;
  }

  /** The instances serving calls now. */
  get busyInstances(): I[] {
    return [...this.handed.keys()];
  }

  /**
   * Refuses new calls, lets the running ones finish, then stops every instance. The waiting
   * ones run first, unless `refuseWaiting` is given: they then fail with it without running.
   */
  async close({ refuseWaiting }: { refuseWaiting?: Error } = {}): Promise<void> {
    this.closed = true;
    if (refuseWaiting) for (const waiter of this.waiting.splice(0)) waiter.reject(refuseWaiting);
    if (this.busy > 0 || this.waiting.length > 0)
      await new Promise<void>((resolve) => (this.drained = resolve));
    for (const timer of this.spareTimers.values()) clearTimeout(timer);
    this.spareTimers.clear();
    const stopping = this.idle.splice(0).map((instance) => instance.terminate());
    this.instances -= stopping.length;
    await Promise.all(stopping);
  }

  /**
   * Every instance is gone with what hosted them: refuses new calls, rejects the waiting ones with
   * `error`, forgets the idle ones (their terminate would reach nothing) and starts no others.
   */
  abandon(error: unknown): void {
    this.closed = true;
    for (const timer of this.spareTimers.values()) clearTimeout(timer);
    this.spareTimers.clear();
    this.instances -= this.idle.splice(0).length;
    for (const waiter of this.waiting.splice(0)) waiter.reject(error);
    this.settleClose();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private acquire(alone: boolean): Promise<I> {
    for (let instance = this.idle.pop(); instance; instance = this.idle.pop()) {
      this.cancelSpareTimer(instance);
      if (instance.alive) return Promise.resolve(this.hand(instance));
      this.instances--; // died between calls
    }
    if (this.instances >= this.options.maxInstances && !alone && this.waiting.length === 0) {
      const open = this.leastBusy();
      if (open) return Promise.resolve(this.hand(open));
    }
    const waiting = new Promise<I>((resolve, reject) =>
      this.waiting.push({ resolve, reject, alone }),
    );
    if (this.instances < this.options.maxInstances) this.grow();
    return waiting;
  }

  /** Counts a call handed to `instance` (busy before the call resumes: see release). */
  private hand(instance: I): I {
    this.busy++;
    this.handed.set(instance, (this.handed.get(instance) ?? 0) + 1);
    return instance;
  }

  /** A live busy instance that may be handed one more call, the least busy. */
  private leastBusy(): I | undefined {
    let best: I | undefined;
    for (const [instance, calls] of this.handed)
      if (
        instance.alive &&
        this.takesMore(instance, false) &&
        calls < (best ? this.handed.get(best)! : Infinity)
      )
        best = instance;
    return best;
  }

  private release(instance: I): void {
    const left = (this.handed.get(instance) ?? 1) - 1;
    if (left > 0) this.handed.set(instance, left);
    else this.handed.delete(instance);
    this.dispatch(instance);
    if (this.handed.has(instance)) {
      // Its calls still hold it; a dead one is counted gone when the last lets go.
    } else if (!instance.alive) {
      this.instances--;
      // Keep one warm, so the next call does not pay for a start.
      if (!this.closed && (this.waiting.length > 0 || this.instances === 0)) this.grow();
    } else if (this.closed) {
      this.instances--;
      void instance.terminate();
    } else this.park(instance);
    this.settleClose();
  }

  /**
   * Hands the waiting calls, in order, to `freed` while it takes more, then (once no more
   * instances may start) to the least busy others. Busy before each waiter resumes: a close in
   * between must not find the pool drained.
   */
  private dispatch(freed: I): void {
    while (this.waiting.length > 0) {
      const { alone } = this.waiting[0];
      const to =
        freed.alive && this.takesMore(freed, alone)
          ? freed
          : !alone && this.instances >= this.options.maxInstances
            ? this.leastBusy()
            : undefined;
      if (!to) return;
      this.waiting.shift()!.resolve(this.hand(to));
    }
  }

  private takesMore(instance: I, alone: boolean): boolean {
    return (this.handed.get(instance) ?? 0) < (alone ? 1 : (this.options.queueDepth ?? 1));
  }

  private settleClose(): void {
    if (this.closed && this.busy === 0 && this.waiting.length === 0) this.drained?.();
  }

  private park(instance: I): void {
    this.idle.push(instance);
    if (this.instances <= 1) return;
    const timer = setTimeout(() => {
      this.spareTimers.delete(instance);
      const at = this.idle.indexOf(instance);
      if (at < 0 || this.instances <= 1) return;
      this.idle.splice(at, 1);
      this.instances--;
      void instance.terminate();
    }, this.options.spareIdleMs);
    timer.unref();
    this.spareTimers.set(instance, timer);
  }

  private cancelSpareTimer(instance: I): void {
    clearTimeout(this.spareTimers.get(instance));
    this.spareTimers.delete(instance);
  }

  private grow(): void {
    this.instances++;
    this.options.spawn().then(
      (instance) => this.release(instance),
      (error: unknown) => {
        this.instances--;
        // With no instance left to serve them, the waiting calls hear why; the next call retries.
        const stranded = this.instances === 0 ? this.waiting.splice(0) : [];
        for (const waiter of stranded) waiter.reject(error);
        if (stranded.length === 0 && !this.closed) this.options.onSpawnError(error);
        this.settleClose();
      },
    );
  }
}
