import type { Plugin, PluginOutput } from '@extism/extism';
import { LoadedPlugin } from './loaded-plugin.js';
import { PluginLogSink } from './plugin-log-sink.js';

// Failure modes of Extism that real modules cannot trigger on demand, played by a stand-in plugin.
function fakePlugin(overrides: Partial<Plugin>): Plugin & { closes: number } {
  const plugin = {
    closes: 0,
    call: () => Promise.resolve(null as PluginOutput | null),
    reset: () => Promise.resolve(true),
    close: () => {
      plugin.closes++;
      return Promise.resolve();
    },
    ...overrides,
  };
  return plugin as unknown as Plugin & { closes: number };
}

const quietLog = () => new PluginLogSink({ warn: () => undefined, error: () => undefined }, 'test');
const input = new Uint8Array(0);

describe('LoadedPlugin', () => {
  it('fails a call that never settles with timeout and closes the plugin', async () => {
    const plugin = fakePlugin({ call: () => new Promise<never>(() => undefined) });
    const loaded = new LoadedPlugin(plugin, new Set(['run']), quietLog(), 20);
    await expect(loaded.call('run', input)).rejects.toMatchObject({ code: 'timeout' });
    expect(plugin.closes).toBe(1);
    await expect(loaded.call('run', input)).rejects.toMatchObject({ code: 'plugin_closed' });
  });

  it('closes the plugin when reset fails, after returning the call result', async () => {
    const plugin = fakePlugin({
      reset: () => Promise.reject(new Error('plugin is not reentrant')),
    });
    const loaded = new LoadedPlugin(plugin, new Set(['run']), quietLog(), 1000);
    await expect(loaded.call('run', input)).resolves.toMatchObject({ output: new Uint8Array(0) });
    expect(plugin.closes).toBe(1);
    await expect(loaded.call('run', input)).rejects.toMatchObject({ code: 'plugin_closed' });
  });
});
