import { randomBytes } from 'node:crypto';
import { BusServer } from './bus-server.js';
import type { InProcessHub } from './in-process-hub.js';

/**
 * Nest transport strategy for standalone mode: registers the handlers on the in-process hub,
 * all on one line, so events are handled in the order they were published.
 */
export class InProcessServer extends BusServer {
  constructor(private readonly hub: InProcessHub) {
    // Everything on this bus runs in this process: a key of its own, for the life of the process.
    super(randomBytes(32));
  }

  listen(callback: () => void): void {
    for (const subject of this.eventSubjects())
      this.hub.onEvent(subject, (raw, trace) => this.dispatchEvent(subject, raw, { trace }), this);
    for (const subject of this.requestSubjects())
      this.hub.onRequest(subject, (raw, trace) => this.dispatchRequest(subject, raw, trace));
    callback();
  }

  close(): Promise<void> {
    return this.hub.close();
  }
}
