import { ConfigError } from '@convergio/config';
import { BusLimits } from '@convergio/messaging';
import { checkOutputFitsBus } from './output-fits-bus.js';
import { ExecutorLimitsEnv } from './executor.config.js';

describe('EXECUTOR_MAX_OUTPUT_BYTES against the bus', () => {
  const nats = new BusLimits(1024 * 1024, true);

  it('defaults to a size whose reply fits the NATS default max_payload', () => {
    expect(ExecutorLimitsEnv.EXECUTOR_MAX_OUTPUT_BYTES.default).toBe(512 * 1024);
    expect(() =>
      checkOutputFitsBus(ExecutorLimitsEnv.EXECUTOR_MAX_OUTPUT_BYTES.default, nats),
    ).not.toThrow();
  });

  it('takes an output limit up to the reply budget', () => {
    expect(() => checkOutputFitsBus(nats.replyBudget, nats)).not.toThrow();
  });

  it('refuses one the bus cannot carry, naming the setting, max_payload and what to change', () => {
    let error: unknown;
    try {
      checkOutputFitsBus(4 * 1024 * 1024, nats);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const { issues, message } = error as ConfigError;
    expect(issues).toEqual([
      expect.objectContaining({ variable: 'EXECUTOR_MAX_OUTPUT_BYTES', received: '4194304' }),
    ]);
    expect(message).toContain(`at most ${nats.replyBudget} bytes`);
    expect(message).toContain("NATS server's max_payload, 1048576 bytes");
    expect(message).toContain('raise max_payload in the NATS server configuration');
  });

  it('checks nothing in process, where no message size is enforced', () => {
    expect(() => checkOutputFitsBus(64 * 1024 * 1024, new BusLimits())).not.toThrow();
  });
});
