import { addressRefusal, type NetPolicy } from './address-class.js';
import { cidrContains, parseCidr, type CidrRange } from './cidr.js';
import { decideHttpRequest, decideRedirect, targetHostRefusal } from './http-rules.js';
import { parseIpAddress } from './ip-address.js';
import { checkResolvedAddresses } from './resolved.js';
import { parseNetUrl } from './target.js';
import { decideWebSocket } from './websocket-rules.js';

const range = (text: string): CidrRange => {
  const parsed = parseCidr(text);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.value;
};
const ip = (text: string) => {
  const address = parseIpAddress(text);
  if (!address) throw new Error(text);
  return address;
};
const denied = {
  hosts: ['metadata.google.internal', 'files.example.com', '203.0.113.7'],
  suffixes: ['corp.example.com', 'internal'],
  cidrs: [range('10.0.0.0/8'), range('fd00::/8'), range('8.8.8.0/24')],
};
const strict: NetPolicy = { allowPrivateNetworks: false, denied };
const lenient: NetPolicy = { allowPrivateNetworks: true, denied };

describe('parseCidr', () => {
  it.each([
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['192.168.1.7/32', '192.168.1.7/32'],
    ['FD00::/8', 'fd00::/8'],
    ['::ffff:10.0.0.0/104', '::ffff:a00:0/104'],
    ['2001:db8::/32', '2001:db8::/32'],
  ])('%j is %j', (text, canonical) => {
    expect(range(text).cidr).toBe(canonical);
  });

  it.each([
    ['10.0.0.0', 'address/prefix'],
    ['10.0.0.0/33', 'invalid prefix'],
    ['10.0.0.0/08', 'invalid prefix'],
    ['::/129', 'invalid prefix'],
    ['10.0.0.1/8', 'host bits'],
    ['fd00::1/8', 'host bits'],
    ['10/8', 'IP address'],
    ['0x0a.0.0.0/8', 'IP address'],
    ['010.0.0.0/8', 'IP address'],
    ['[::1]/128', 'IP address'],
    ['10.0.0.0/8/8', 'address/prefix'],
    ['', 'address/prefix'],
  ])('refuses %j (%s)', (text, reason) => {
    const parsed = parseCidr(text);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.reason).toContain(reason);
  });

  it.each([
    ['10.0.0.0/8', '10.255.255.255', true],
    ['10.0.0.0/8', '11.0.0.0', false],
    ['10.0.0.0/8', '::ffff:10.0.0.1', false], // same family only; addressRefusal looks through
    ['0.0.0.0/0', '1.2.3.4', true],
    ['fd00::/8', 'fd12::1', true],
    ['fd00::/8', 'fc00::1', false],
  ])('%s contains %s: %j', (cidr, address, expected) => {
    expect(cidrContains(range(cidr), ip(address))).toBe(expected);
  });
});

describe('addressRefusal with operator ranges', () => {
  it.each<[string, NetPolicy, string | null]>([
    ['10.1.2.3', lenient, 'denied range 10.0.0.0/8'], // even with private networks allowed
    ['::ffff:10.1.2.3', lenient, 'as 10.1.2.3'], // IPv4-mapped
    ['::ffff:0:10.1.2.3', lenient, '10.0.0.0/8'], // SIIT
    ['64:ff9b::a01:203', lenient, '10.0.0.0/8'], // NAT64 of 10.1.2.3
    ['2002:a01:203::1', lenient, '10.0.0.0/8'], // 6to4
    ['fd12::1', lenient, 'fd00::/8'],
    ['8.8.8.8', lenient, '8.8.8.0/24'], // public, but denied
    ['::ffff:8.8.8.8', strict, '8.8.8.0/24'],
    ['203.0.113.7', lenient, 'denied by the operator'], // a denied host IP
    ['::ffff:203.0.113.7', lenient, 'denied by the operator'],
    ['192.168.1.1', lenient, null],
    ['192.168.1.1', strict, 'private'],
    ['9.9.9.9', strict, null],
    ['0.0.0.0', lenient, 'unspecified'],
  ])('%s', (text, policy, reason) => {
    const refusal = addressRefusal(ip(text), policy);
    if (reason === null) expect(refusal).toBeNull();
    else expect(refusal).toContain(reason);
  });

  it('a range of IPv4-mapped IPv6 denies plain IPv4 too', () => {
    const policy: NetPolicy = {
      allowPrivateNetworks: true,
      denied: { hosts: [], suffixes: [], cidrs: [range('::ffff:0:0/96')] },
    };
    expect(addressRefusal(ip('1.2.3.4'), policy)).toContain('::ffff:0:0/96');
  });

  it('checkResolvedAddresses refuses when any answer is denied', () => {
    const decision = checkResolvedAddresses('a.example.net', ['9.9.9.9', '10.0.0.5'], lenient);
    expect(decision).toMatchObject({
      allowed: false,
      reason: expect.stringContaining('10.0.0.0/8'),
    });
    expect(checkResolvedAddresses('a.example.net', ['9.9.9.9'], lenient).allowed).toBe(true);
  });

  it('policies without denials behave as before', () => {
    expect(addressRefusal(ip('10.0.0.1'), { allowPrivateNetworks: true })).toBeNull();
  });
});

describe('targetHostRefusal with operator host denials', () => {
  it.each<[string, string | null]>([
    ['https://metadata.google.internal/', 'denied by the operator'],
    ['https://METADATA.Google.Internal./computeMetadata', 'denied by the operator'],
    ['https://files.example.com/', 'denied by the operator'],
    ['https://FILES.example.com.:443/', 'denied by the operator'],
    ['https://corp.example.com/', 'denied domain corp.example.com'],
    ['https://a.b.corp.example.com/', 'denied domain corp.example.com'],
    ['https://evilcorp.example.com/', null], // whole labels
    ['https://x.internal/', 'denied domain internal'],
    ['https://203.0.113.7/', 'denied by the operator'],
    ['https://[::ffff:203.0.113.7]/', 'denied by the operator'],
    ['https://0xcb007107/', 'denied by the operator'], // 203.0.113.7 in hex
    ['https://[::ffff:a00:1]/', '10.0.0.0/8'],
    ['https://example.com/', null],
  ])('%s', (url, reason) => {
    const parsed = parseNetUrl(url, ['https']);
    if (!parsed.ok) throw new Error(parsed.reason);
    const refusal = targetHostRefusal(parsed.value, lenient);
    if (reason === null) expect(refusal).toBeNull();
    else expect(refusal).toContain(reason);
  });

  it('punycode: a Unicode name and its ACE form are one host', () => {
    const policy: NetPolicy = {
      allowPrivateNetworks: true,
      denied: { hosts: ['xn--bcher-kva.example'], suffixes: [], cidrs: [] },
    };
    const parsed = parseNetUrl('https://BÜCHER.example/', ['https']);
    expect(parsed.ok && targetHostRefusal(parsed.value, policy)).toContain('denied');
  });
});

describe('request decisions honour the denials even when the rules allow the host', () => {
  const grant = {
    rules: [
      { host: '*.example.com', methods: ['GET' as const] },
      { host: 'metadata.google.internal', methods: ['GET' as const] },
    ],
  };

  it.each([
    ['https://files.example.com/x', false],
    ['https://api.corp.example.com/x', false],
    ['https://metadata.google.internal/', false],
    ['https://www.example.com/x', true],
  ])('decideHttpRequest %s → %j', (url, allowed) => {
    expect(decideHttpRequest({ url, method: 'GET' }, grant, lenient).allowed).toBe(allowed);
  });

  it('decideRedirect refuses a hop to a denied host', () => {
    const from = parseNetUrl('https://www.example.com/', ['https']);
    if (!from.ok) throw new Error(from.reason);
    const hop = {
      from: from.value,
      method: 'GET',
      status: 302,
      location: 'https://FILES.example.com./',
      hops: 0,
    };
    expect(decideRedirect(hop, grant, lenient)).toMatchObject({
      allowed: false,
      reason: expect.stringContaining('denied by the operator'),
    });
  });

  it('decideWebSocket refuses a denied suffix', () => {
    const ws = { hosts: ['*.internal'] };
    expect(decideWebSocket('wss://chat.internal/', ws, lenient).allowed).toBe(false);
    expect(
      decideWebSocket('wss://chat.internal/', ws, { allowPrivateNetworks: true }).allowed,
    ).toBe(true);
  });
});
