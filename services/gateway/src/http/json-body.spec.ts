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

describe('parseJsonBody and repeated keys', () => {
  it.each([
    '{"name":"n","roles":["invoker"],"roles":["admin"]}',
    '{"function":"nope","\\u0066unction":"greet"}',
    '[{"input":{"a":1,"a":2}}]',
    '{"__proto__":1,"__proto__":2}',
  ])('refuses %s with 400 duplicate_key', (text) => {
    const error = refusal(text);
    expect(error.code).toBe('bad_request');
    expect(error.details[0].code).toBe('duplicate_key');
  });

  it('takes the same key in different objects, and a key written inside a string value', () => {
    expect(parseJsonBody('{"a":{"a":1},"b":[{"a":2}],"c":"\\"a\\":"}', 64)).toEqual({
      a: { a: 1 },
      b: [{ a: 2 }],
      c: '"a":',
    });
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
