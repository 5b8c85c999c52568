import { connect, type Socket } from 'node:net';
import { encodeFrame, FrameReader, type CallFrame } from '../channel/call-frames.js';
import type { EmittedEvent } from '../worker-protocol.js';
import { CallServer, type CallConnection } from './call-server.js';
import { RemoteInstance, type InstanceHost } from './remote-instance.js';

const RESOURCES = { wall_ms: 1, fuel_used: 5, memory_pages: 1, host_calls: 0 };
const hello = (instance: string) => encodeFrame({ kind: 'hello', instance });

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
  const host: InstanceHost = {
    halt: () => Promise.resolve({ memory_pages: null, host_calls: 0 }),
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
    server = await CallServer.listen(1 << 20, accept);
  });
  afterEach(() => server.close());

  it('calls the worker that greeted with its name and takes its result and events', async () => {
    const { instance, socket, frames } = await started('a-name');
    const outcome = instance.call('greet', Uint8Array.of(1, 2));
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
