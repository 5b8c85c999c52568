import { connect, type Socket } from 'node:net';
import { encodeFrame, FrameReader, type CallFrame } from '../channel/call-frames.js';
import type { EmittedEvent } from '../worker-protocol.js';
import { CallServer, type CallConnection } from './call-server.js';
import { UNSTARTED } from '../sandbox-plugin.js';
import { RemoteInstance, type Halted, type InstanceHost } from './remote-instance.js';

const RESOURCES = { wall_ms: 1, fuel_used: 5, memory_pages: 1, host_calls: 0 };
const hello = (instance: string) => encodeFrame({ kind: 'hello', instance });
const PROGRESS = { memory_pages: null, host_calls: 2 };
const result = (id: number) =>
  encodeFrame({ kind: 'result', id, output: Uint8Array.of(id), resources: RESOURCES });

/** A worker's end of a call socket, as a test drives it. */
async function worker(path: string, greeting: Buffer) {
  const socket = connect(path);
  const frames: CallFrame[] = [];
  const reader = new FrameReader(1 << 20);
  socket.on('data', (chunk: Buffer) => frames.push(...reader.push(chunk)));
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(greeting);
  return { socket, frames };
}

const closed = (socket: Socket) => new Promise((resolve) => socket.once('close', resolve));

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('CallServer and RemoteInstance: the executor end of a worker call socket', () => {
  let server: CallServer;
  let broke: string[];
  let seen: EmittedEvent[];
  const instances = new Map<string, RemoteInstance>();
  // What the process answers the next halt: the call state it read, or null (spared).
  let halts: { call?: number; answer: Halted | null | Promise<Halted | null> }[];
  let asked: number;
  let refused: [string, number][];
  const host: InstanceHost = {
    halt: (_instance, call) => {
      asked++;
      const answer = halts.shift()!;
      answer.call = call;
      return Promise.resolve(answer.answer);
    },
    refuseQueued: (instance, running) => void refused.push([instance, running]),
    broken: (reason) => void broke.push(reason),
  };
  const accept = (connection: CallConnection) => {
    const instance = instances.get(connection.instance);
    if (instance) instance.attach(connection);
    else connection.socket.destroy();
  };
  /** An instance the executor started: its worker greets with `name` and the process says ready. */
  async function started(name: string) {
    const instance = new RemoteInstance(name, host, {
      denied: () => undefined,
      emitted: (events) => seen.push(...events),
    });
    instances.set(name, instance);
    const end = await worker(server.path, hello(name));
    instance.ready();
    await instance.started;
    return { instance, ...end };
  }

  beforeEach(async () => {
    broke = [];
    seen = [];
    halts = [];
    asked = 0;
    refused = [];
    server = await CallServer.listen(1 << 20, accept);
  });
  afterEach(() => server.close());

  it('calls the worker that greeted with its name and takes its result and events', async () => {
    const { instance, socket, frames } = await started('a-name');
    const outcome = instance.call('greet', Uint8Array.of(1, 2), undefined, () => undefined);
    await until(() => frames.length > 0);
    expect(frames).toMatchObject([
      { kind: 'call', id: 1, fn: 'greet', input: Uint8Array.of(1, 2) },
    ]);
    socket.write(
      Buffer.concat([
        encodeFrame({ kind: 'emitted', json: '["l",["hi"]]' }),
        encodeFrame({ kind: 'result', id: 1, output: Uint8Array.of(9), resources: RESOURCES }),
      ]),
    );
    expect(await outcome).toEqual({ ok: true, output: Uint8Array.of(9), resources: RESOURCES });
    expect(seen).toEqual([{ kind: 'log', payload: 'hi' }]);
    socket.destroy();
  });

  describe('a call sent while another runs (queueDepth)', () => {
    /** Calls `greet` with input [n] for each n; records when each began. */
    function send(instance: RemoteInstance, ...inputs: number[]) {
      const begun: number[] = [];
      const outcomes = inputs.map((n) =>
        instance.call('greet', Uint8Array.of(n), undefined, () => begun.push(n)),
      );
      return { begun, outcomes };
    }

    it('is written at once and begins when the one before it answers', async () => {
      const { instance, socket, frames } = await started('pipelined');
      const { begun, outcomes } = send(instance, 1, 2);
      await until(() => frames.length === 2);
      expect(frames.map((f) => f.kind === 'call' && f.id)).toEqual([1, 2]);
      expect(begun).toEqual([1]);
      socket.write(result(1));
      expect(await outcomes[0]).toMatchObject({ ok: true, output: Uint8Array.of(1) });
      expect(begun).toEqual([1, 2]);
      socket.write(result(2));
      expect(await outcomes[1]).toMatchObject({ ok: true, output: Uint8Array.of(2) });
      socket.destroy();
    });

    it('halted past its wall time, the running call stops; the one behind it never began: UNSTARTED, to run elsewhere', async () => {
      const { instance, socket, frames } = await started('halted');
      const { outcomes } = send(instance, 1, 2);
      await until(() => frames.length === 2);
      halts.push({ answer: { progress: PROGRESS, lastCall: { id: 1, running: true } } });
      expect(await instance.halt()).toEqual(PROGRESS);
      expect(halts).toEqual([]);
      expect(await outcomes[1]).toBe(UNSTARTED);
      expect(await outcomes[0]).toMatchObject({ ok: false, error: { code: 'timeout' } });
      expect(instance.alive).toBe(false);
      await closed(socket);
    });

    it('names the running call to the process, which spares the instance if that call ended first: it serves on', async () => {
      const { instance, socket, frames } = await started('spared');
      const { begun, outcomes } = send(instance, 1, 2);
      await until(() => frames.length === 2);
      const answer: { call?: number; answer: Halted | null } = { answer: null };
      halts.push(answer);
      expect(await instance.halt()).toBeNull();
      expect(answer.call).toBe(1);
      expect(instance.alive).toBe(true);
      socket.write(Buffer.concat([result(1), result(2)]));
      expect((await Promise.all(outcomes)).map((o) => o.ok)).toEqual([true, true]);
      expect(begun).toEqual([1, 2]);
      socket.destroy();
    });

    it('lost with its worker, the calls it had begun fail (the running one with what it used) and the later ones are UNSTARTED', async () => {
      const { instance, socket, frames } = await started('lost');
      const { outcomes } = send(instance, 1, 2, 3);
      await until(() => frames.length === 3);
      const died = { code: 'runtime_failure' as const, message: 'the plugin worker died' };
      instance.lost(died, { progress: PROGRESS, lastCall: { id: 2, running: true } });
      expect(await Promise.all(outcomes)).toEqual([
        { ok: false, error: died },
        { ok: false, error: died, resources: { ...PROGRESS, wall_ms: 0 } },
        UNSTARTED,
      ]);
      await closed(socket);
    });

    it('when its process cannot tell what had begun, every call sent fails: none may run twice', async () => {
      const { instance, socket, frames } = await started('unknown');
      const { outcomes } = send(instance, 1, 2);
      await until(() => frames.length === 2);
      const crashed = { code: 'sandbox_crashed' as const, message: 'the sandbox process ended' };
      instance.lost(crashed, { progress: PROGRESS, lastCall: undefined });
      expect(await Promise.all(outcomes)).toEqual([
        { ok: false, error: crashed, resources: { ...PROGRESS, wall_ms: 0 } },
        { ok: false, error: crashed },
      ]);
      await closed(socket);
    });

    it('asks the process for one halt at a time: a stop asked meanwhile waits for the answer, and a halt that stopped it leaves nothing to stop', async () => {
      const { instance, socket, frames } = await started('one-at-a-time');
      const { outcomes } = send(instance, 1, 2);
      await until(() => frames.length === 2);
      let answer!: (halted: Halted) => void;
      halts.push({ answer: new Promise<Halted>((resolve) => (answer = resolve)) });
      const halting = instance.halt();
      const stopping = instance.stop({ code: 'plugin_unloaded', message: 'unloaded' });
      await until(() => asked === 1);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(asked).toBe(1);
      answer({ progress: PROGRESS, lastCall: { id: 1, running: true } });
      expect(await halting).toEqual(PROGRESS);
      await stopping;
      expect(asked).toBe(1);
      expect(await outcomes[1]).toBe(UNSTARTED);
      await closed(socket);
    });

    it('a spared call that does not answer in time breaks its process', async () => {
      const { instance, socket, frames } = await started('spared-silent');
      send(instance, 1);
      await until(() => frames.length === 1);
      halts.push({ answer: null });
      expect(await instance.halt()).toBeNull();
      await until(() => broke.length > 0);
      expect(broke).toEqual([expect.stringContaining('said had ended did not answer')]);
      socket.destroy();
    });

    it('a refusal (plugin_closed: never ran, may run again) breaks its process unless asked, and never for the running call', async () => {
      const refusal = (id: number) =>
        encodeFrame({
          kind: 'failed',
          id,
          error: { code: 'plugin_closed', message: 'refused' },
          resources: RESOURCES,
        });
      const unasked = await started('refused-unasked');
      send(unasked.instance, 1);
      await until(() => unasked.frames.length === 1);
      unasked.socket.write(refusal(1));
      await until(() => broke.length === 1);
      const asked = await started('refused-asked');
      const { outcomes } = send(asked.instance, 1, 2);
      await until(() => asked.frames.length === 2);
      asked.instance.refuseQueued();
      asked.socket.write(Buffer.concat([result(1), refusal(2)]));
      expect(await outcomes[1]).toMatchObject({ ok: false, error: { code: 'plugin_closed' } });
      const running = await started('refused-running');
      send(running.instance, 1, 2);
      await until(() => running.frames.length === 2);
      running.instance.refuseQueued();
      running.socket.write(refusal(1));
      await until(() => broke.length === 2);
      expect(broke).toEqual([
        expect.stringContaining('refused call 1 unasked'),
        expect.stringContaining('refused call 1 unasked'),
      ]);
      for (const end of [unasked, asked, running]) end.socket.destroy();
    });

    it('an answer out of turn breaks its process', async () => {
      const { instance, socket, frames } = await started('out-of-turn');
      send(instance, 1, 2);
      await until(() => frames.length === 2);
      socket.write(result(2));
      await until(() => broke.length > 0);
      expect(broke).toEqual([expect.stringContaining('answered call 2 out of turn')]);
      socket.destroy();
    });

    it('asks the process to refuse the calls waiting in it, all but the running one, only when some wait', async () => {
      const { instance, socket, frames } = await started('refusing');
      const { outcomes } = send(instance, 1);
      instance.refuseQueued();
      expect(refused).toEqual([]);
      outcomes.push(...send(instance, 2).outcomes);
      instance.refuseQueued();
      expect(refused).toEqual([['refusing', 1]]);
      await until(() => frames.length === 2);
      socket.destroy();
    });
  });

  it('drops a connection greeting with a name it did not hand out, or not greeting first', async () => {
    const stranger = await worker(server.path, hello('guessed'));
    await closed(stranger.socket);
    const rude = await worker(server.path, encodeFrame({ kind: 'emitted', json: '[]' }));
    await closed(rude.socket);
    expect(stranger.frames).toEqual([]);
  });

  it('reports a worker that breaks the framing or sends events that are not JSON, to end its process', async () => {
    const garbled = await started('garbled');
    garbled.socket.write(Buffer.from([1, 0, 0, 0, 99]));
    await closed(garbled.socket);
    const notJson = await started('not-json');
    notJson.socket.write(encodeFrame({ kind: 'emitted', json: '[{"kind":' }));
    await until(() => broke.length === 2);
    notJson.socket.destroy();
    expect(broke).toEqual([
      expect.stringContaining('a worker broke its call socket'),
      expect.stringContaining('not JSON'),
    ]);
    expect(seen).toEqual([]);
  });
});
