import type { SandboxError } from '../sandbox-error.js';
import type { ToSandboxProcess } from './process-protocol.js';
import { RemoteInstances } from './remote-instances.js';

describe('RemoteInstances: what a sandbox process says of its instances', () => {
  function instances() {
    const sent: ToSandboxProcess[] = [];
    const killed: SandboxError[] = [];
    const tracked = new RemoteInstances(
      { send: (message) => void sent.push(message), kill: (reason) => void killed.push(reason) },
      { denied: () => undefined },
    );
    return { tracked, sent, killed };
  }

  it('ends a process that reports an instance halted or spared when no halt was asked', () => {
    for (const message of [
      {
        type: 'instance_halted' as const,
        instance: 'never-asked',
        progress: { memory_pages: null, host_calls: 0 },
        droppedTelemetry: 0,
      },
      { type: 'instance_spared' as const, instance: 'never-asked' },
    ]) {
      const { tracked, killed } = instances();
      tracked.receive(message);
      expect(killed).toEqual([
        expect.objectContaining({
          code: 'sandbox_crashed',
          message: expect.stringContaining('unasked'),
        }),
      ]);
    }
  });

  it('ends a process that spares an instance it was told to stop whatever it runs', () => {
    const { tracked, sent, killed } = instances();
    void tracked.halt('stop-it');
    expect(sent).toEqual([{ type: 'halt_instance', instance: 'stop-it', call: undefined }]);
    tracked.receive({ type: 'instance_spared', instance: 'stop-it' });
    expect(killed).toEqual([expect.objectContaining({ code: 'sandbox_crashed' })]);
    tracked.end(killed[0]);
  });

  it('hands a halt naming a call the spared answer, and the halted one with the call state', async () => {
    const { tracked } = instances();
    const spared = tracked.halt('a', 7);
    tracked.receive({ type: 'instance_spared', instance: 'a' });
    expect(await spared).toBeNull();
    const halted = tracked.halt('a', 8);
    tracked.receive({
      type: 'instance_halted',
      instance: 'a',
      progress: { memory_pages: null, host_calls: 1 },
      callState: 8,
      droppedTelemetry: 0,
    });
    expect(await halted).toEqual({
      progress: { memory_pages: null, host_calls: 1 },
      lastCall: { id: 8, running: true },
    });
  });

  it('reads a call state it cannot decode as not known: the process is broken, and every call sent may have run', async () => {
    const { tracked, killed } = instances();
    const halted = tracked.halt('b', 1);
    tracked.receive({
      type: 'instance_halted',
      instance: 'b',
      progress: { memory_pages: null, host_calls: 0 },
      callState: 2 ** 40,
      droppedTelemetry: 0,
    });
    expect(await halted).toMatchObject({ lastCall: undefined });
    expect(killed).toEqual([
      expect.objectContaining({ message: expect.stringContaining('32-bit') }),
    ]);
  });
});
