import { affectedVersion, type OsvEvent, type OsvRange } from './affected-versions.js';
import { dottedOrder, semverOrder } from './version-order.js';

// OSV's evaluation (https://ossf.github.io/osv-schema/#evaluation), one range at a time.

const ev = (kind: OsvEvent['kind'], version: string): OsvEvent => ({ kind, version });
const semverRange = (...events: OsvEvent[]): OsvRange => ({
  type: 'SEMVER',
  order: semverOrder,
  events,
});
const affects = (version: string, ranges: OsvRange[], versions: string[] = []) =>
  affectedVersion(version, { ranges, versions, order: ranges[0]?.order ?? dottedOrder });

describe('affectedVersion', () => {
  it('introduced "0" alone affects every version', () => {
    const range = semverRange(ev('introduced', '0'));
    for (const version of ['0.0.0', '0.0.1-alpha', '1.0.0', '999.0.0'])
      expect(affects(version, [range]).affected).toBe(true);
  });

  it('fixed ends the range before the fixed version, which is not affected', () => {
    const range = semverRange(ev('introduced', '0'), ev('fixed', '4.17.21'));
    expect(affects('4.17.20', [range])).toEqual({ affected: true, fixed: '4.17.21' });
    expect(affects('4.17.21-rc.1', [range]).affected).toBe(true);
    expect(affects('4.17.21', [range])).toEqual({ affected: false });
    expect(affects('5.0.0', [range]).affected).toBe(false);
  });

  it('introduced is inclusive and versions below it are not affected', () => {
    const range = semverRange(ev('introduced', '1.0.0'), ev('fixed', '1.4.2'));
    expect(affects('0.9.9', [range]).affected).toBe(false);
    expect(affects('1.0.0', [range]).affected).toBe(true);
    expect(affects('1.0.0-beta', [range]).affected).toBe(false);
  });

  it('last_affected includes the version it names and nothing above', () => {
    const range = semverRange(ev('introduced', '0'), ev('last_affected', '1.2.5'));
    expect(affects('1.2.5', [range])).toEqual({ affected: true });
    expect(affects('1.2.6', [range]).affected).toBe(false);
  });

  it('limit admits only versions below it, and "*" means no limit', () => {
    const limited = semverRange(ev('introduced', '1.0.0'), ev('limit', '2.0.0'));
    expect(affects('1.9.9', [limited]).affected).toBe(true);
    expect(affects('2.0.0', [limited]).affected).toBe(false);
    expect(affects('3.0.0', [limited]).affected).toBe(false);
    const twoLimits = semverRange(
      ev('introduced', '1.0.0'),
      ev('limit', '1.5.0'),
      ev('limit', '3.0.0'),
    );
    expect(affects('2.5.0', [twoLimits]).affected).toBe(true);
    const star = semverRange(ev('introduced', '1.0.0'), ev('limit', '*'));
    expect(affects('99.0.0', [star]).affected).toBe(true);
  });

  it('one range may hold several intervals', () => {
    const range = semverRange(
      ev('introduced', '1.0.0'),
      ev('fixed', '1.0.2'),
      ev('introduced', '3.0.0'),
      ev('fixed', '3.2.5'),
    );
    expect(affects('1.0.1', [range])).toEqual({ affected: true, fixed: '1.0.2' });
    expect(affects('2.0.0', [range]).affected).toBe(false);
    expect(affects('3.1.0', [range])).toEqual({ affected: true, fixed: '3.2.5' });
    expect(affects('3.2.5', [range]).affected).toBe(false);
  });

  it('sorts events that are not in order before walking them', () => {
    const range = semverRange(
      ev('fixed', '3.2.5'),
      ev('introduced', '3.0.0'),
      ev('fixed', '1.0.2'),
      ev('introduced', '0'),
    );
    expect(affects('0.5.0', [range]).affected).toBe(true);
    expect(affects('2.0.0', [range]).affected).toBe(false);
    expect(affects('3.0.1', [range])).toEqual({ affected: true, fixed: '3.2.5' });
  });

  it('is affected when any one of several ranges says so', () => {
    const low = semverRange(ev('introduced', '1.0.0'), ev('fixed', '1.1.0'));
    const high = semverRange(ev('introduced', '2.0.0'), ev('fixed', '2.1.0'));
    expect(affects('2.0.5', [low, high])).toEqual({ affected: true, fixed: '2.1.0' });
    expect(affects('1.5.0', [low, high]).affected).toBe(false);
  });

  it('matches the versions list exactly, or equal by the ecosystem order', () => {
    expect(affects('1.2.1', [], ['1.2.0', '1.2.1'])).toEqual({ affected: true });
    expect(affects('1.2.1.0', [], ['1.2.1']).affected).toBe(true);
    expect(affects('1.2.2', [], ['1.2.0', '1.2.1']).affected).toBe(false);
  });

  it('never matches a version the range order cannot read', () => {
    const range = semverRange(ev('introduced', '0'));
    expect(affects('not-a-version', [range]).affected).toBe(false);
    expect(affects('1.2', [range]).affected).toBe(false);
  });

  it('orders ECOSYSTEM ranges of PyPI with the dotted order', () => {
    const range: OsvRange = {
      type: 'ECOSYSTEM',
      order: dottedOrder,
      events: [ev('introduced', '5.1b1'), ev('fixed', '5.4')],
    };
    expect(affects('5.1', [range]).affected).toBe(true);
    expect(affects('5.1a1', [range]).affected).toBe(false);
    expect(affects('5.3.1', [range])).toEqual({ affected: true, fixed: '5.4' });
    expect(affects('5.4', [range]).affected).toBe(false);
    expect(affects('5.4.1', [range]).affected).toBe(false);
  });
});
