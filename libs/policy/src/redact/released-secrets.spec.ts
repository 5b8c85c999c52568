import { REDACTED, redactReleasedSecrets } from './released-secrets.js';
import { checkTelemetryEvent } from './telemetry-event.js';

// Attacks on the scrubbing of values released to a plugin: each is a way its value, or part of
// it, used to get past redactReleasedSecrets.
describe('redactReleasedSecrets against evasion', () => {
  it('leaves no part of a secret that contains a shorter released one', () => {
    // Replacing "abc" first used to leave "…def" of the longer secret in the clear.
    const out = redactReleasedSecrets('x abcdef y', ['abc', 'abcdef']);
    expect(out).toBe(`x ${REDACTED} y`);
    expect(out).not.toContain('def');
  });

  it('leaves no part of two released secrets that overlap in the text', () => {
    const out = redactReleasedSecrets('[Hunter2Pass9]', ['Hunter2Pa', 'r2Pass9']);
    expect(out).toBe(`[${REDACTED}]`);
  });

  it.each([
    ['upper case', 'HUNTER2PASS'],
    ['lower case', 'hunter2pass'],
    ['upper-case hex', Buffer.from('Hunter2Pass').toString('hex').toUpperCase()],
  ])('redacts the value in %s', (_how, form) => {
    expect(redactReleasedSecrets(`a ${form} b`, ['Hunter2Pass'])).toBe(`a ${REDACTED} b`);
  });

  it('keeps text that holds no released value as it is', () => {
    expect(redactReleasedSecrets('nothing here', ['Hunter2Pass'])).toBe('nothing here');
  });

  it('refuses a telemetry name that holds a released value lower-cased (names must be)', () => {
    const outcome = checkTelemetryEvent({ name: 'leak.hunter2pass' }, ['Hunter2Pass']);
    expect(outcome).toMatchObject({ ok: false });
  });
});
