/** What {@link OwnersByBytes} ranks: an owner's charged bytes, and when it was added. */
export interface RankedOwner {
  readonly id: string;
  bytes: number;
  /** Order of addition: among owners of equal bytes the earlier added ranks first. */
  readonly since: number;
  /** Position in the heap, kept by OwnersByBytes; -1 when not in it. */
  heapIndex: number;
}

/**
 * Owners ordered by the bytes they are charged, most first (the earlier added first among
 * equals), as a binary max-heap indexed by owner: adding, removing and re-ranking one owner costs
 * O(log n), finding the largest O(1), so that eviction does not scan every owner (40,000 owners of
 * one series each cost a scan of about 140 µs per new series).
 */
export class OwnersByBytes<O extends RankedOwner> {
  private readonly heap: O[] = [];

  add(owner: O): void {
    owner.heapIndex = this.heap.length;
    this.heap.push(owner);
    this.siftUp(owner.heapIndex);
  }

  /** Takes `owner` out; an owner not held here (never added, removed already) is ignored. */
  remove(owner: O): void {
    const at = owner.heapIndex;
    if (this.heap[at] !== owner) return;
    const last = this.heap.pop()!;
    owner.heapIndex = -1;
    if (last === owner) return;
    this.place(last, at);
    this.reorder(at);
  }

  /** Puts `owner` back in order after its bytes changed. */
  update(owner: O): void {
    this.reorder(owner.heapIndex);
  }

  /** The owner charged the most bytes other than `except`; undefined when there is none. */
  largestBut(except: string): O | undefined {
    const [top, left, right] = this.heap;
    if (top === undefined || top.id !== except) return top;
    if (right === undefined) return left;
    return ranksBefore(left, right) ? left : right;
  }

  private reorder(at: number): void {
    if (at > 0 && ranksBefore(this.heap[at], this.heap[(at - 1) >> 1])) this.siftUp(at);
    else this.siftDown(at);
  }

  private siftUp(at: number): void {
    const owner = this.heap[at];
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (!ranksBefore(owner, this.heap[parent])) break;
      this.place(this.heap[parent], at);
      at = parent;
    }
    this.place(owner, at);
  }

  private siftDown(at: number): void {
    const owner = this.heap[at];
    const size = this.heap.length;
    for (;;) {
      let first = 2 * at + 1;
      if (first >= size) break;
      if (first + 1 < size && ranksBefore(this.heap[first + 1], this.heap[first])) first++;
      if (!ranksBefore(this.heap[first], owner)) break;
      this.place(this.heap[first], at);
      at = first;
    }
    this.place(owner, at);
  }

  private place(owner: O, at: number): void {
    this.heap[at] = owner;
    owner.heapIndex = at;
  }
}

function ranksBefore(a: RankedOwner, b: RankedOwner): boolean {
  return a.bytes > b.bytes || (a.bytes === b.bytes && a.since < b.since);
}
