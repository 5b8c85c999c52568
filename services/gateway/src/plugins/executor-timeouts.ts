import { Injectable } from '@nestjs/common';
import { RequestSubjects, type ReplyMap } from '@convergio/contracts';
import { BusClient } from '@convergio/messaging';

type ExecutorLimits = ReplyMap['executor.limits'];

/**
 * What a call may wait for besides running: a load of the version (its sandbox process and
 * workers, each given 10 s to start) and a turn on one of its instances.
 */
const WAITING_MS = 30_000;
/** How long the executor's answer is used before it is asked again. */
const LIMITS_TTL_MS = 60_000;

/**
 * How long the gateway waits for the executor to answer a call, derived from the executor's own
 * limits (asked over the bus on first use and again each minute), so a plugin that runs out of
 * time is answered 504 by the executor, never 503 by an impatient gateway: a call's wall time,
 * times the rounds a batch needs on the version's instances, plus {@link WAITING_MS}.
 */
@Injectable()
export class ExecutorTimeouts {
  private asked?: { limits: Promise<ExecutorLimits>; until: number };

  constructor(private readonly bus: BusClient) {}

  /** Wait for one call, ms. */
  async invokeMs(): Promise<number> {
    return (await this.limits()).call_wall_time_ms + WAITING_MS;
  }

  /** Wait for a batch of `calls` calls, ms. */
  async batchMs(calls: number): Promise<number> {
    const { call_wall_time_ms, instances_per_plugin } = await this.limits();
    return Math.ceil(calls / instances_per_plugin) * call_wall_time_ms + WAITING_MS;
  }

  private limits(): Promise<ExecutorLimits> {
    if (this.asked && this.asked.until > Date.now()) return this.asked.limits;
    const limits = this.bus.request(RequestSubjects.ExecutorLimits, {});
    const asked = { limits, until: Date.now() + LIMITS_TTL_MS };
    this.asked = asked;
    // A failed question is asked again by the next call, not remembered for a minute.
    limits.catch(() => {
      if (this.asked === asked) this.asked = undefined;
    });
    return limits;
  }
}
