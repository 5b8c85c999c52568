// The bare path: the processes and hops of an invoke (client, gateway, NATS, executor, a worker
// of the plugin's sandbox process, and back) with none of the platform's code on them, so that
// the platform's figures can be read against what the same path costs on the same box, in the
// same run.
import { fork } from 'node:child_process';
import { once } from 'node:events';

/**
 * Worker threads of the bare sandbox process: the executor's default instances per plugin
 * (EXECUTOR_INSTANCES_PER_PLUGIN), which the platform's greet gets.
 */
const WORKERS = 2;

/**
 * Starts the bare gateway and executor (which starts its sandbox process) on `natsUrl`.
 * Resolves to `{ url, pids: { gateway, executor, sandbox }, stop }`: POST `url` a greet
 * request (`{"function":"greet","input":{"name":…}}`) to get greet's output. Rejects if a
 * process ends before it is ready (the ones started are stopped).
 */
export async function startBarePath(natsUrl) {
  const subject = `bench.bare.${process.pid}`;
  const children = [];
  const stop = async () => {
    for (const child of [...children].reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = once(child, 'exit');
      if (child.connected) child.disconnect();
      else child.kill();
      await exited;
    }
  };
  const start = async (name, ...args) => {
    const child = fork(new URL(`./${name}.mjs`, import.meta.url), [natsUrl, subject, ...args]);
    children.push(child);
    const ended = once(child, 'exit').then(([code, signal]) => {
      throw new Error(`the bare path's ${name} ended before it was ready (${code ?? signal})`);
    });
    const [ready] = await Promise.race([once(child, 'message'), ended]);
    ended.catch(() => {});
    return { child, ready };
  };
  try {
    const executor = await start('executor', String(WORKERS));
    const gateway = await start('gateway');
    return {
      url: `http://127.0.0.1:${gateway.ready.port}/invoke`,
      pids: {
        gateway: gateway.child.pid,
        executor: executor.child.pid,
        sandbox: executor.ready.sandbox,
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
