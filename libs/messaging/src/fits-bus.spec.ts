import { ConfigError } from '@convergio/config';
import { RequestSubjects } from '@convergio/contracts';
import { BusLimits, checkFitsBus, requestTooLarge } from './bus-limits.js';

const MiB = 1024 * 1024;
const nats = new BusLimits(MiB, true);
const setting = (variable: string, bytes: number) => ({ variable, bytes, carries: 'a thing' });

describe('checkFitsBus', () => {
  it('takes settings up to the budget of one message', () => {
    expect(() =>
      checkFitsBus([setting('A_BYTES', nats.replyBudget), setting('B_BYTES', 1024)], nats),
    ).not.toThrow();
  });

  it('refuses every setting over it in one error, each with its budget, the max_payload and what to change', () => {
    let error: unknown;
    try {
      checkFitsBus(
        [setting('A_BYTES', 2 * MiB), setting('B_BYTES', 1024), setting('C_BYTES', MiB)],
        nats,
      );
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const { issues, message } = error as ConfigError;
    expect(issues.map((i) => [i.variable, i.received])).toEqual([
      ['A_BYTES', String(2 * MiB)],
      ['C_BYTES', String(MiB)],
    ]);
    expect(message).toContain(
      `A_BYTES: expected at most ${nats.replyBudget} bytes, so that a thing fits one message on the bus (the NATS server's max_payload, ${MiB} bytes, less 65536 for the message around it): lower A_BYTES, or raise max_payload in the NATS server configuration; got ${2 * MiB}`,
    );
  });

  it('checks nothing in process, where no message size is enforced', () => {
    expect(() => checkFitsBus([setting('A_BYTES', 64 * MiB)], new BusLimits())).not.toThrow();
  });
});

describe('requestTooLarge', () => {
  it.each([
    [RequestSubjects.ExecutorInvoke, 'the executor', 'GATEWAY_MAX_INVOKE_BYTES'],
    [RequestSubjects.ExecutorInvokeBatch, 'the executor', 'GATEWAY_MAX_INVOKE_BYTES'],
    [RequestSubjects.RegistrySubmit, 'the registry', 'GATEWAY_MAX_MANIFEST_BYTES'],
  ])('names the size, the limit and the setting of %s', (subject, who, variable) => {
    const error = requestTooLarge(subject, MiB + 10, MiB);
    expect(error.code).toBe('payload_too_large');
    expect(error.message).toBe(
      `the request to ${who} is ${MiB + 10} bytes, more than the bus carries (NATS max_payload ${MiB} bytes): send less; an operator can lower ${variable} so that such a request is refused at once, or raise max_payload in the NATS server configuration`,
    );
    expect(error.details).toEqual([
      { code: 'max_payload', message: `at most ${MiB} bytes`, path: '' },
    ]);
  });

  it('names only max_payload for a request no setting bounds', () => {
    expect(requestTooLarge(RequestSubjects.RegistryListPlugins, MiB + 1, MiB).message).toMatch(
      /: send less; an operator can raise max_payload in the NATS server configuration$/,
    );
  });
});
