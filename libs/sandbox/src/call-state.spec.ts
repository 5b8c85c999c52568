import {
  CALL_STATE_BYTES,
  CallStateView,
  CallStateWriter,
  lastCall,
  nextCallId,
} from './call-state.js';

function shared() {
  const buffer = new SharedArrayBuffer(CALL_STATE_BYTES);
  return { worker: new CallStateWriter(buffer), owner: new CallStateView(buffer) };
}

describe('call state: which call a worker has begun, for whoever stops it', () => {
  it('reads nothing begun, then the running call, then the one that ended', () => {
    const { worker, owner } = shared();
    expect(lastCall(owner.read())).toBeNull();
    expect(worker.begin(1)).toBe(true);
    expect(lastCall(owner.read())).toEqual({ id: 1, running: true });
    worker.end(1);
    expect(lastCall(owner.read())).toEqual({ id: 1, running: false });
    expect(worker.begin(2)).toBe(true);
    expect(lastCall(owner.read())).toEqual({ id: 2, running: true });
  });

  it('halted, no call begins any more, and the halt says what was running', () => {
    const { worker, owner } = shared();
    worker.begin(1);
    expect(lastCall(owner.halt() as number)).toEqual({ id: 1, running: true });
    worker.end(1);
    expect(worker.begin(2)).toBe(false);
    // Stopped, it no longer tells what had begun: whoever reads it must assume anything had.
    expect(lastCall(owner.read())).toBeUndefined();
  });

  it('a halt naming a call spares the instance once that call has ended, and stops it while it runs', () => {
    const { worker, owner } = shared();
    worker.begin(1);
    worker.end(1);
    expect(owner.halt(1)).toBe(false); // it had ended
    expect(worker.begin(2)).toBe(true);
    expect(owner.halt(1)).toBe(false); // the call after it has begun: it had ended
    expect(owner.halt(2)).toBe(2);
    expect(worker.begin(3)).toBe(false);
  });

  it('a halt naming a call not yet begun stops the instance: that call never begins', () => {
    const { worker, owner } = shared();
    worker.begin(1);
    worker.end(1);
    expect(lastCall(owner.halt(2) as number)).toEqual({ id: 1, running: false });
    expect(worker.begin(2)).toBe(false);
  });

  it('a halt between the end of a call and the begin of the next keeps the next from beginning', () => {
    const { worker, owner } = shared();
    worker.begin(1);
    worker.end(1);
    expect(lastCall(owner.halt() as number)).toEqual({ id: 1, running: false });
    expect(worker.begin(2)).toBe(false);
  });

  it('tells the worker to refuse the calls it has not begun, all but the one running', () => {
    const { worker, owner } = shared();
    expect(worker.refuses(1)).toBe(false);
    owner.refuseQueued(1);
    expect(worker.refuses(1)).toBe(false);
    expect(worker.refuses(2)).toBe(true);
  });

  it('numbers calls from 1 and wraps below 2^30, so a running id and an ended one never meet', () => {
    expect(nextCallId(1)).toBe(2);
    expect(nextCallId(0x3fff_fffe)).toBe(0x3fff_ffff);
    expect(nextCallId(0x3fff_ffff)).toBe(1);
    const { worker, owner } = shared();
    expect(worker.begin(0x3fff_ffff)).toBe(true);
    worker.end(0x3fff_ffff);
    expect(lastCall(owner.read())).toEqual({ id: 0x3fff_ffff, running: false });
  });
});
