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
  /** A spare instance (any beyond the first) idle this long is stopped. */
  spareIdleMs: number;
  /** A spawn failed while other instances remain, so no caller hears of it. */
  onSpawnError: (error: unknown) => void;
}

type Waiter<I> = { resolve: (instance: I) => void; reject: (error: unknown) => void };

/**
 * The instances of one plugin: grows on demand up to `maxInstances`, hands each to one call at a
 * time, replaces dead ones, keeps one warm, and stops spares that stay idle.
 */
export class InstancePool<I extends PooledInstance> {
  private readonly idle: I[] = [];
  private readonly waiting: Waiter<I>[] = [];
  private readonly spareTimers = new Map<I, NodeJS.Timeout>();
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

  /** Runs `task` on an instance of its own; the instance serves no other call meanwhile. */
  async use<T>(task: (instance: I) => Promise<T>): Promise<T> {
    const instance = await this.acquire(); // counted busy from the moment it is handed over
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

  private acquire(): Promise<I> {
    for (let instance = this.idle.pop(); instance; instance = this.idle.pop()) {
      this.cancelSpareTimer(instance);
      if (instance.alive) {
        this.busy++;
        return Promise.resolve(instance);
      }
      this.instances--; // died between calls
    }
    const waiting = new Promise<I>((resolve, reject) => this.waiting.push({ resolve, reject }));
    if (this.instances < this.options.maxInstances) this.grow();
    return waiting;
  }

  private release(instance: I): void {
    const next = instance.alive ? this.waiting.shift() : undefined;
    // Busy before the waiter resumes: a close in between must not find the pool drained.
    if (next) {
      this.busy++;
      next.resolve(instance);
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
