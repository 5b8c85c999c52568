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
