import { highestSeverity, severityOfScore, severityOfWord } from './osv-severity.js';

describe('severityOfWord (GHSA database_specific.severity)', () => {
  it.each([
    ['LOW', 'low'],
    ['MODERATE', 'medium'],
    ['moderate', 'medium'],
    ['HIGH', 'high'],
    ['CRITICAL', 'critical'],
    ['UNKNOWN', undefined],
    ['', undefined],
  ])('reads %s as %s', (word, severity) => {
    expect(severityOfWord(word)).toBe(severity);
  });
});

describe('severityOfScore (CVSS base score bands)', () => {
  it.each([
    ['CVSS_V3', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 'critical'], // 9.8
    ['CVSS_V3', 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H', 'medium'], // 5.9
    ['CVSS_V3', 'CVSS:3.1/AV:L/AC:H/PR:L/UI:R/S:U/C:L/I:N/A:N', 'low'], // 2.2
    ['CVSS_V3', 'CVSS:3.0/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H', 'high'], // 7.2
    ['CVSS_V3', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N', 'low'], // 0.0, "none"
    ['CVSS_V4', 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N', 'medium'], // 6.9
    ['CVSS_V4', 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 'critical'], // 9.3
    ['CVSS_V4', 'CVSS:4.0/AV:L/AC:L/AT:N/PR:N/UI:P/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 'high'], // 8.5
  ])('scores %s %s as %s', (type, vector, severity) => {
    expect(severityOfScore(type, vector)).toBe(severity);
  });

  it.each([
    ['CVSS_V2', 'AV:N/AC:L/Au:N/C:P/I:P/A:P'],
    ['Ubuntu', 'high'],
    ['CVSS_V3', 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N'],
    ['CVSS_V3', 'CVSS:3.1/AV:N'],
    ['CVSS_V3', 'garbage'],
    ['CVSS_V4', 'CVSS:4.0/AV:X/AC:L'],
  ])('gives no severity for %s %s', (type, vector) => {
    expect(severityOfScore(type, vector)).toBeUndefined();
  });
});

describe('highestSeverity', () => {
  it('takes the highest and ignores unknowns', () => {
    expect(highestSeverity('medium', undefined, 'critical', 'low')).toBe('critical');
    expect(highestSeverity(undefined, undefined)).toBeUndefined();
  });
});
