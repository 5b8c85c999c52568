import { boundedText, childPointer } from './bounded-text.js';

describe('boundedText', () => {
  it('keeps short printable text as it is', () => {
    expect(boundedText('pkg:npm/lodash@4.17.20 😀', 100)).toBe('pkg:npm/lodash@4.17.20 😀');
  });

  it('escapes control characters and lone surrogates', () => {
    expect(boundedText('a\u0000b\u001b[31m\u009bc\ud800d\\', 100)).toBe(
      'a\\u0000b\\u001b[31m\\u009bc\\ud800d\\\\',
    );
  });

  it('cuts to the limit with an ellipsis, never inside a surrogate pair', () => {
    const cut = boundedText('ab😀😀😀', 4);
    expect(cut).toBe('ab…');
    expect(cut.length).toBeLessThanOrEqual(4);
    expect(boundedText('a😀😀😀', 5)).toBe('a😀…');
  });

  it('never cuts inside an escape', () => {
    const cut = boundedText('ab\u0001cdefgh', 8);
    expect(cut).toBe('ab…');
    expect(boundedText('x'.repeat(3000), 2000)).toHaveLength(2000);
  });
});

describe('childPointer', () => {
  it('escapes ~ and / as RFC 6901 says', () => {
    expect(childPointer('/components', 'a/b~c')).toBe('/components/a~1b~0c');
    expect(childPointer('', 0)).toBe('/0');
  });
});
