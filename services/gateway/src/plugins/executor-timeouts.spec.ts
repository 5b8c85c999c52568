import { DomainError, RequestSubjects } from '@convergio/contracts';
import type { BusClient } from '@convergio/messaging';
import { ExecutorTimeouts } from './executor-timeouts.js';

/** Answers executor.limits with `limits`, or fails with `failure`; counts the questions. */
function executor(limits = { call_wall_time_ms: 5000, instances_per_plugin: 2 }) {
  const state = { asked: 0, failure: undefined as DomainError | undefined };
  const bus = {
    request: (subject: string) => {
      expect(subject).toBe(RequestSubjects.ExecutorLimits);
      state.asked++;
      return state.failure ? Promise.reject(state.failure) : Promise.resolve(limits);
    },
  } as unknown as BusClient;
  return { timeouts: new ExecutorTimeouts(bus), state };
}

describe('ExecutorTimeouts', () => {
  it('waits for a call its wall time plus time to load and queue', async () => {
    const { timeouts } = executor({ call_wall_time_ms: 60_000, instances_per_plugin: 2 });
    expect(await timeouts.invokeMs()).toBe(90_000);
  });

  it('waits for a batch the rounds it needs on the instances', async () => {
    const { timeouts } = executor({ call_wall_time_ms: 5000, instances_per_plugin: 2 });
    expect(await timeouts.batchMs(1)).toBe(35_000);
    expect(await timeouts.batchMs(100)).toBe(50 * 5000 + 30_000);
  });

  it('asks the executor once for many calls', async () => {
    const { timeouts, state } = executor();
    await Promise.all([timeouts.invokeMs(), timeouts.invokeMs(), timeouts.batchMs(3)]);
    expect(state.asked).toBe(1);
  });

  it('passes on a failure to ask, and asks again on the next call', async () => {
    const { timeouts, state } = executor();
    state.failure = new DomainError('unavailable', 'no executor answers');
    await expect(timeouts.invokeMs()).rejects.toMatchObject({ code: 'unavailable' });
    state.failure = undefined;
    expect(await timeouts.invokeMs()).toBe(35_000);
    expect(state.asked).toBe(2);
  });
});
