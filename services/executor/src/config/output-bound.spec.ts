import { ConfigError } from '@convergio/config';
import { BusLimits, checkFitsBus } from '@convergio/messaging';
import { ExecutorLimitsEnv, outputBusBound } from './executor.config.js';

describe('EXECUTOR_MAX_OUTPUT_BYTES against the bus', () => {
  const nats = new BusLimits(1024 * 1024, true);
  const check =
    (bytes: number, limits = nats) =>
    () =>
      checkFitsBus([outputBusBound(bytes)], limits);

  it('defaults to a size whose reply fits the NATS default max_payload', () => {
    expect(ExecutorLimitsEnv.EXECUTOR_MAX_OUTPUT_BYTES.default).toBe(512 * 1024);
    expect(check(ExecutorLimitsEnv.EXECUTOR_MAX_OUTPUT_BYTES.default)).not.toThrow();
  });

  it('takes an output limit up to the reply budget', () => {
    expect(check(nats.replyBudget)).not.toThrow();
  });

  it('refuses one the bus cannot carry, naming the setting, max_payload and what to change', () => {
    let error: unknown;
    try {
      check(4 * 1024 * 1024)();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const { issues, message } = error as ConfigError;
    expect(issues).toEqual([
      expect.objectContaining({ variable: 'EXECUTOR_MAX_OUTPUT_BYTES', received: '4194304' }),
    ]);
    expect(message).toContain(`at most ${nats.replyBudget} bytes`);
    expect(message).toContain("one call's output");
    expect(message).toContain("NATS server's max_payload, 1048576 bytes");
    expect(message).toContain('raise max_payload in the NATS server configuration');
  });

  it('checks nothing in process, where no message size is enforced', () => {
    expect(check(64 * 1024 * 1024, new BusLimits())).not.toThrow();
  });
});
