import { InstancePool, type PooledInstance } from './instance-pool.js';

class FakeInstance implements PooledInstance {
  alive = true;
  constructor(readonly id: number) {}
  terminate(): Promise<void> {
    this.alive = false;
    return Promise.resolve();
  }
}

function pool(maxInstances: number, spawnFails: () => boolean = () => false) {
  const spawned: FakeInstance[] = [];
  const errors: unknown[] = [];
  const instances = new InstancePool<FakeInstance>({
    spawn: () => {
      if (spawnFails()) return Promise.reject(new Error('no start'));
      const instance = new FakeInstance(spawned.length);
      spawned.push(instance);
      return Promise.resolve(instance);
    },
    maxInstances,
    spareIdleMs: 20,
    onSpawnError: (error) => errors.push(error),
  });
  return { instances, spawned, errors };
}

/** A task that holds its instance until released, recording which one it got. */
function held() {
  let release!: () => void;
  const done = new Promise<void>((resolve) => (release = resolve));
  const got: number[] = [];
  const task = async (instance: FakeInstance) => {
    got.push(instance.id);
    await done;
    return instance.id;
  };
  return { task, release, got };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('InstancePool', () => {
  it('runs concurrent calls on separate instances, never more than the maximum', async () => {
    const { instances, spawned } = pool(2);
    await instances.start();
    const calls = [held(), held(), held()];
    const running = calls.map((c) => instances.use(c.task));
    await tick();
    expect(calls.map((c) => c.got.length)).toEqual([1, 1, 0]);
    expect(new Set(calls.flatMap((c) => c.got)).size).toBe(2);
    expect(spawned).toHaveLength(2);
    calls[0].release();
    await running[0];
    await tick();
    expect(calls[2].got).toEqual(calls[0].got);
    calls[1].release();
    calls[2].release();
    await Promise.all(running);
    expect(instances.size).toBe(2);
  });

  it('uses one instance for sequential calls', async () => {
    const { instances, spawned } = pool(4);
    await instances.start();
    for (let i = 0; i < 5; i++) await instances.use((instance) => Promise.resolve(instance.id));
    expect(spawned).toHaveLength(1);
  });

  it('replaces an instance that died under a call, keeping one warm', async () => {
    const { instances, spawned } = pool(1);
    await instances.start();
    await instances.use((instance) => instance.terminate());
    await tick();
    expect([spawned.length, instances.size, spawned[1].alive]).toEqual([2, 1, true]);
    expect(await instances.use((instance) => Promise.resolve(instance.id))).toBe(1);
  });

  it('stops a spare instance left idle, never the last one', async () => {
    const { instances, spawned } = pool(2);
    await instances.start();
    const [a, b] = [held(), held()];
    const running = [instances.use(a.task), instances.use(b.task)];
    await tick();
    a.release();
    b.release();
    await Promise.all(running);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(instances.size).toBe(1);
    expect(spawned.filter((i) => i.alive)).toHaveLength(1);
  });

  it('fails the waiting calls when no instance can start, and retries on the next call', async () => {
    let failing = false;
    const { instances, errors } = pool(1, () => failing);
    await instances.start();
    failing = true;
    await instances.use((instance) => instance.terminate());
    await tick();
    expect(errors).toHaveLength(1); // the warm replacement failed with nobody waiting
    await expect(instances.use(() => Promise.resolve('ran'))).rejects.toThrow('no start');
    failing = false;
    await expect(instances.use(() => Promise.resolve('ran'))).resolves.toBe('ran');
  });

  it('on close, lets running and waiting calls finish, then stops every instance', async () => {
    const { instances, spawned } = pool(1);
    await instances.start();
    const [a, b] = [held(), held()];
    const running = [instances.use(a.task), instances.use(b.task)];
    await tick();
    const closing = instances.close();
    expect(instances.isClosed).toBe(true);
    a.release();
    b.release();
    await closing;
    await expect(Promise.all(running)).resolves.toEqual([0, 0]);
    expect(spawned.every((i) => !i.alive)).toBe(true);
    expect(instances.size).toBe(0);
  });

  it('on close, stays open until a waiting call handed the instance has finished with it', async () => {
    const { instances, spawned } = pool(1);
    await instances.start();
    const [a, b] = [held(), held()];
    const running = [instances.use(a.task), instances.use(b.task)];
    await tick();
    let closed = false;
    const closing = instances.close().then(() => (closed = true));
    a.release(); // the instance passes to the waiting call
    await tick();
    expect([closed, b.got, spawned[0].alive]).toEqual([false, [0], true]);
    b.release();
    await closing;
    await expect(Promise.all(running)).resolves.toEqual([0, 0]);
    expect(spawned[0].alive).toBe(false);
  });

  it('on close refusing the waiting calls, fails them without running them, and lets the running one finish', async () => {
    const { instances, spawned } = pool(1);
    await instances.start();
    const [a, b] = [held(), held()];
    const running = instances.use(a.task);
    const waiting = instances.use(b.task);
    await tick();
    const closing = instances.close({ refuseWaiting: new Error('unloaded') });
    await expect(waiting).rejects.toThrow('unloaded');
    a.release();
    await closing;
    await expect(running).resolves.toBe(0);
    expect(b.got).toEqual([]);
    expect(spawned.every((i) => !i.alive)).toBe(true);
  });
});
