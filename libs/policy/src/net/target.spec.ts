import { parseNetUrl, targetBytes } from './target.js';

describe('targetBytes', () => {
  it.each([
    ['http://example.com/a?b=1', '/a?b=1example.com'],
    ['https://example.com:8443/', '/example.com:8443'],
    ['http://[::1]:8080/x#frag', '/x[::1]:8080'],
    ['http://bücher.example/ä?q=ü', '/%C3%A4?q=%C3%BCxn--bcher-kva.example'],
    [`http://a.example/${'\u4e00'}`, '/%E4%B8%80a.example'],
  ])('counts %s as the request target and Host value it sends', (url, sent) => {
    const target = parseNetUrl(url, ['http', 'https']);
    if (!target.ok) throw new Error(target.reason);
    expect(targetBytes(target.value)).toBe(sent.length);
  });
});

describe('parseNetUrl length', () => {
  const origin = 'http://a.example/';
  it.each([
    ['written', `${origin}${'a'.repeat(8192 - origin.length)}`],
    ['percent-encoded', `${origin}${'%E4'.repeat((8192 - origin.length) / 3)}`],
  ])('takes a URL of 8192 characters %s', (_what, url) => {
    const target = parseNetUrl(url, ['http']);
    expect(target.ok && target.value.href.length).toBe(8192);
  });

  it.each([
    ['as written', `${origin}${'a'.repeat(8193 - origin.length)}`, 'url is too long'],
    [
      'once its path is percent-encoded',
      `${origin}${'\u4e00'.repeat(911)}`,
      'url is too long once encoded (more than 8192 characters)',
    ],
    [
      'once its host is encoded (IDNA)',
      `http://${'\u3316'.repeat(1500)}.example/`,
      'url is too long once encoded (more than 8192 characters)',
    ],
  ])('refuses a URL longer than 8192 characters %s', (_what, url, reason) => {
    expect(parseNetUrl(url, ['http'])).toEqual({ ok: false, reason });
  });
});
