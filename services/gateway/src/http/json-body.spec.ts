import { DomainError } from '@convergio/contracts';
import type { GatewayLimits } from '../config/gateway.config.js';
import { jsonBodyError, parseJsonBody } from './json-body.js';

const refusal = (text: string, depth = 64) => {
  try {
    parseJsonBody(text, depth);
  } catch (error) {
    return error as DomainError;
  }
  throw new Error(`${text} was taken`);
};

describe('parseJsonBody', () => {
  it('takes an object or an array, and an empty body as no body', () => {
    expect(parseJsonBody(' {"function":"greet","input":[1]}', 64)).toEqual({
      function: 'greet',
      input: [1],
    });
    expect(parseJsonBody('[]', 64)).toEqual([]);
    expect(parseJsonBody(' \n', 64)).toBeUndefined();
  });

  it.each(['"text"', '5', 'null', '{"function": "greet",'])(
    'refuses %s with 400 bad_request',
    (text) => {
      const error = refusal(text);
      expect(error).toBeInstanceOf(DomainError);
      expect(error.code).toBe('bad_request');
    },
  );

  it('refuses a body nested deeper than the limit with json_too_deep, and takes one at it', () => {
    expect(refusal('[[[]]]', 2).details[0].code).toBe('json_too_deep');
    expect(parseJsonBody('[[]]', 2)).toEqual([[]]);
  });
});

describe('jsonBodyError', () => {
  const limits = { GATEWAY_MAX_INVOKE_BYTES: 1024 } as GatewayLimits;

  it("names the limit and its variable for Fastify's body-too-large refusal", () => {
    const error = jsonBodyError({ code: 'FST_ERR_CTP_BODY_TOO_LARGE' }, limits);
    expect(error?.code).toBe('payload_too_large');
    expect(error?.message).toContain('1024 bytes (1 KiB)');
    expect(error?.message).toContain('GATEWAY_MAX_INVOKE_BYTES');
  });

  it('leaves any other error alone', () => {
    expect(jsonBodyError(new Error('other'), limits)).toBeUndefined();
    expect(jsonBodyError(undefined, limits)).toBeUndefined();
  });
});
