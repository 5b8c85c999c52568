import fc from 'fast-check';
import { MAX_SECRET_VALUE_BYTES } from '@convergio/contracts';
import { LOG_LEVELS, logMessageHeadBytes } from '@convergio/policy';
import { decodeUtf8Escaped } from '@convergio/sandbox';
import { decodeLogInput } from './log-input.js';

const bytes = (text: string) => Buffer.from(text, 'utf8');

/**
 * What JSON.parse makes of the block as the host-call layer decodes it (invalid UTF-8 escaped,
 * see decodeUtf8Escaped), or `invalid` when it throws.
 */
function parsed(block: Buffer): unknown {
  try {
    return JSON.parse(decodeUtf8Escaped(block));
  } catch {
    return 'invalid';
  }
}

// The usual form around message bytes of any value (quotes, backslashes, control and malformed
// UTF-8 bytes included), and mutations of every byte of the frame around them.
const anyByte = fc.integer({ min: 0, max: 255 });
const usualForm = fc
  .record({
    level: fc.constantFrom(...LOG_LEVELS, 'trace', 'DEBUG', ''),
    message: fc.array(
      fc.oneof(anyByte, fc.integer({ min: 0x20, max: 0x7e }), fc.constant(0xe2), fc.constant(0x80)),
      { maxLength: 40 },
    ),
  })
  .map(({ level, message }) =>
    Buffer.concat([bytes(`{"level":"${level}","message":"`), Buffer.from(message), bytes('"}')]),
  );
const mutated = fc.tuple(usualForm, fc.nat(), anyByte).map(([block, at, byte]) => {
  const copy = Buffer.from(block);
  copy[at % copy.length] = byte;
  return copy;
});
const cut = fc
  .tuple(usualForm, fc.nat())
  .map(([block, end]) => block.subarray(0, end % block.length));

describe('decodeLogInput', () => {
  it('reads the usual form as JSON.parse does, without unescaping anything', () => {
    expect(decodeLogInput(bytes('{"level":"debug","message":"tick"}'))).toEqual({
      level: 'debug',
      message: 'tick',
    });
    expect(decodeLogInput(bytes('{"level":"error","message":""}'))).toEqual({
      level: 'error',
      message: '',
    });
    expect(decodeLogInput(bytes('{"level":"warn","message":"é ✓ \u{1F600}"}'))).toEqual({
      level: 'warn',
      message: 'é ✓ \u{1F600}',
    });
  });

  it.each([
    ['an escape', '{"level":"info","message":"a\\"b"}'],
    ['a control character', '{"level":"info","message":"a\nb"}'],
    ['spaces', '{"level": "info","message":"a"}'],
    ['members in another order', '{"message":"a","level":"info"}'],
    ['another member', '{"level":"info","message":"a","x":1}'],
    ['an unknown level', '{"level":"trace","message":"a"}'],
    ['trailing bytes', '{"level":"info","message":"a"} '],
    ['a cut text', '{"level":"info","message":"a'],
    ['no text', '{"level":"info"}'],
    ['not an object', '"{\\"level\\":\\"info\\"}"'],
  ])('leaves an input with %s to JSON.parse', (_case, text) => {
    expect(decodeLogInput(bytes(text))).toBeUndefined();
  });

  it('answers what JSON.parse does for every block it reads, whatever its bytes', () => {
    fc.assert(
      fc.property(fc.oneof(usualForm, mutated, cut), (block) => {
        const decoded = decodeLogInput(block);
        if (decoded !== undefined) expect(decoded).toEqual(parsed(block));
      }),
      { numRuns: 5000 },
    );
  });

  it('reads every usual-form block whose text has no quote, backslash or control character', () => {
    const plain = fc
      .string({ unit: 'binary', maxLength: 40 })
      .filter((text) => !/["\\\u0000-\u001f]/.test(text));
    fc.assert(
      fc.property(fc.constantFrom(...LOG_LEVELS), plain, (level, message) => {
        const block = bytes(`{"level":"${level}","message":"${message}"}`);
        const decoded = decodeLogInput(block);
        expect(decoded).toBeDefined();
        expect(decoded).toEqual(parsed(block));
      }),
      { numRuns: 2000 },
    );
  });

  // Before: 50 MB of malformed UTF-8 decoded to 50 million UTF-16 units filled the worker's heap
  // (64 MiB) and killed it (found by a review).
  it('decodes at most what the largest line cap and the longest secret read of a message', () => {
    const headBytes = logMessageHeadBytes(1024 * 1024, ['x'.repeat(MAX_SECRET_VALUE_BYTES)]);
    const head = bytes('{"level":"warn","message":"');
    const block = Buffer.concat([head, Buffer.alloc(8 * 1024 * 1024, 0xff), bytes('"}')]);
    const read = decodeLogInput(block);
    expect(read?.level).toBe('warn');
    expect(read?.message).toBe(decodeUtf8Escaped(block, head.length, head.length + headBytes));
    expect(headBytes).toBeGreaterThan(3 * (1024 * 1024 + MAX_SECRET_VALUE_BYTES));
  });
});
