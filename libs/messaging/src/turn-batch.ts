/**
 * Runs tasks at the end of this turn of the event loop (its check phase, `setImmediate`), all in
 * one go. Publishes made together leave in one write to the NATS socket (nats.js flushes what is
 * queued once per microtask checkpoint): under load, requests and replies read in one poll phase
 * share a write instead of a syscall each, and the server reads them at once too. A lone message
 * waits for nothing but the rest of the turn.
 *
 * Each task catches its own errors: one that throws ends the batch for those queued after it.
 */
export class TurnBatch {
  private readonly queued: (() => void)[] = [];

  run(task: () => void): void {
    if (this.queued.push(task) === 1) setImmediate(this.flush);
  }

  private readonly flush = (): void => {
    for (const task of this.queued.splice(0)) task();
  };
}
