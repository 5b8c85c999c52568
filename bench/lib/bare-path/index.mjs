// The bare path: the processes and hops of an invoke (client, gateway, NATS, executor, a worker
// of the plugin's sandbox process, and back) with none of the platform's code on them, so that
// the platform's figures can be read against what the same path costs on the same box, in the
// same run.
import { fork } from 'node:child_process';
import { once } from 'node:events';

/**
 * Starts the bare gateway and executor (which starts its sandbox process) on `natsUrl`.
 * Resolves to `{ url, pids: { gateway, executor, sandbox }, stop }`: POST `url` a greet
 * request (`{"function":"greet","input":{"name":…}}`) to get greet's output.
 */
export async function startBarePath(natsUrl) {
  const subject = `bench.bare.${process.pid}`;
  const start = async (name) => {
    const child = fork(new URL(`./${name}.mjs`, import.meta.url), [natsUrl, subject]);
    const [ready] = await once(child, 'message');
    return { child, ready };
  };
  const executor = await start('executor');
  const gateway = await start('gateway');
  return {
    url: `http://127.0.0.1:${gateway.ready.port}/invoke`,
    pids: {
      gateway: gateway.child.pid,
      executor: executor.child.pid,
      sandbox: executor.ready.sandbox,
    },
    stop: async () => {
      for (const { child } of [gateway, executor]) {
        const exited = once(child, 'exit');
        child.disconnect();
        await exited;
      }
    },
  };
}
