import { Type } from '@sinclair/typebox';
import { DomainError } from './error-codes.js';
import { compileChecker } from './validation.js';

const Query = Type.Object(
  {
    wait: Type.Optional(Type.Integer({ minimum: 0, maximum: 120 })),
    after: Type.Optional(Type.Integer({ minimum: 0 })),
    ratio: Type.Optional(Type.Number({ minimum: -1, maximum: 1 })),
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
    status: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
const check = compileChecker<Record<string, unknown>>(Query, 'test query', { coerce: true });

function refusal(query: Record<string, unknown>): DomainError {
  try {
    check(query);
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error(`${JSON.stringify(query)} was accepted`);
}

describe('query numbers', () => {
  it.each([
    ['0', 0],
    ['5', 5],
    ['120', 120],
  ])('reads the integer %j as %p', (text, value) => {
    expect(check({ wait: text })).toEqual({ wait: value, limit: 100 });
  });

  it('reads negative integers and numbers with a fraction where the schema takes them', () => {
    expect(check({ ratio: '-0.5' })).toEqual({ ratio: -0.5, limit: 100 });
    expect(check({ ratio: '1' })).toEqual({ ratio: 1, limit: 100 });
    expect(refusal({ after: '-3' }).details).toEqual([
      {
        code: 'schema.minimum',
        message: 'after must be an integer of at least 0, written in decimal digits',
        path: '/after',
      },
    ]);
  });

  it.each([
    'Infinity',
    '-Infinity',
    '1e400',
    '1e1',
    '0x10',
    '0b11',
    '0o7',
    '  5',
    '5 ',
    '+5',
    '-0',
    '05',
    '1.0',
    '',
    'NaN',
    '5abc',
    '99999999999999999999',
  ])('refuses %j, naming the parameter and its range', (text) => {
    const error = refusal({ wait: text });
    expect(error.code).toBe('validation_failed');
    expect(error.details).toEqual([
      {
        code: expect.stringMatching(/^schema\./),
        message: 'wait must be an integer from 0 to 120, written in decimal digits',
        path: '/wait',
      },
    ]);
  });

  it('refuses a number out of range with the same words', () => {
    expect(refusal({ wait: '121' }).details).toEqual([
      expect.objectContaining({
        code: 'schema.maximum',
        message: 'wait must be an integer from 0 to 120, written in decimal digits',
      }),
    ]);
    expect(refusal({ limit: 'Infinity' }).details).toEqual([
      expect.objectContaining({
        message: 'limit must be an integer from 1 to 500, written in decimal digits',
        path: '/limit',
      }),
    ]);
  });

  it('refuses a repeated parameter and lists every problem', () => {
    expect(refusal({ wait: ['1', '2'], ratio: '1e0' }).details.map((d) => d.path)).toEqual([
      '/wait',
      '/ratio',
    ]);
  });

  it('leaves text parameters as they are', () => {
    expect(check({ status: '5' })).toEqual({ status: '5', limit: 100 });
  });
});
