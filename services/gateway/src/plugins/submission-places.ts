/** A submission's place among those the gateway receives at once. */
export interface SubmissionPlace {
  /** Aborted, with the refusal to answer, when the place is given to another publisher. */
  readonly signal: AbortSignal;
  /** The body is read: the place is no longer given away. */
  bodyRead(): void;
  /** Gives the place back; once is enough, a place given away is back already. */
  release(): void;
}

interface Held {
  publisher: string;
  reading: boolean;
  controller: AbortController;
}

/**
 * The places of submissions in hand (`max`, GATEWAY_MAX_CONCURRENT_SUBMISSIONS), shared fairly
 * among publishers under contention: a publisher alone may take all of them, but when they are
 * all taken, a publisher holding at least two fewer than another gets the place of that one's
 * latest submission whose body is still being read (a slow upload), so that one publisher's
 * uploads cannot keep every other publisher out for the request timeout. A submission being
 * handled keeps its place.
 */
export class SubmissionPlaces {
  private readonly held: Held[] = [];

  constructor(
    private readonly max: number,
    private readonly refusal: (held: number) => Error,
  ) {}

  /** A place for a submission of `publisher`, or undefined when none is free or can be given. */
  take(publisher: string): SubmissionPlace | undefined {
    if (this.held.length >= this.max && !this.giveOneAway(publisher)) return undefined;
    const entry: Held = { publisher, reading: true, controller: new AbortController() };
    this.held.push(entry);
    return {
      signal: entry.controller.signal,
      bodyRead: () => {
        entry.reading = false;
      },
      release: () => this.remove(entry),
    };
  }

  /** Submissions in hand of `publisher`. */
  heldBy(publisher: string): number {
    return this.held.filter((h) => h.publisher === publisher).length;
  }

  private giveOneAway(publisher: string): boolean {
    const counts = new Map<string, number>();
    for (const h of this.held) counts.set(h.publisher, (counts.get(h.publisher) ?? 0) + 1);
    const countOf = (p: string) => counts.get(p) ?? 0;
    // The latest slow upload of the publisher holding the most, if it holds two more than this one.
    let victim: Held | undefined;
    for (const h of this.held)
      if (
        h.reading &&
        countOf(h.publisher) > countOf(publisher) + 1 &&
        (!victim || countOf(h.publisher) >= countOf(victim.publisher))
      )
        victim = h;
    if (!victim) return false;
    this.remove(victim);
    victim.controller.abort(this.refusal(countOf(victim.publisher)));
    return true;
  }

  private remove(entry: Held): void {
    const at = this.held.indexOf(entry);
    if (at >= 0) this.held.splice(at, 1);
  }
}
