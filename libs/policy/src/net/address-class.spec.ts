import { addressRefusal, classifyAddress } from './address-class.js';
import { formatIpAddress, parseIpAddress, parseIpv4, parseIpv6 } from './ip-address.js';

const strict = { allowPrivateNetworks: false };
const lenient = { allowPrivateNetworks: true };

describe('parseIpv4 accepts every form resolvers and the URL parser accept', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['127.1', '127.0.0.1'],
    ['127.0.1', '127.0.0.1'],
    ['0x7f000001', '127.0.0.1'],
    ['0X7F.0.0.1', '127.0.0.1'],
    ['2130706433', '127.0.0.1'],
    ['0177.0.0.1', '127.0.0.1'],
    ['017700000001', '127.0.0.1'],
    ['127.000.000.001', '127.0.0.1'],
    ['0', '0.0.0.0'],
    ['169.254.43518', '169.254.169.254'],
    ['0xa9fea9fe', '169.254.169.254'],
    ['127.0.0.1.', '127.0.0.1'],
    ['127.0.0.0x', '127.0.0.0'],
  ])('%s is %s', (text, canonical) => {
    const address = parseIpv4(text);
    expect(address && formatIpAddress(address)).toBe(canonical);
  });

  it.each(['256.0.0.1', '1.2.3.4.5', '08.0.0.1', 'example.com', '', '1..1', '4294967296', '0x1g'])(
    '%s is not an IPv4 address',
    (text) => expect(parseIpv4(text)).toBeNull(),
  );
});

describe('parseIpv6', () => {
  it.each([
    ['::1', '::1'],
    ['[::1]', '::1'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['::ffff:127.0.0.1', '::ffff:7f00:1'],
    ['[::ffff:7f00:1]', '::ffff:7f00:1'],
    ['fe80::1%eth0', 'fe80::1'],
    ['2001:DB8::1', '2001:db8::1'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
  ])('%s is %s', (text, canonical) => {
    const address = parseIpv6(text);
    expect(address && formatIpAddress(address)).toBe(canonical);
  });

  it.each(['1::2::3', '::ffff:999.0.0.1', 'example.com', '127.0.0.1', '[::1'])(
    '%s is not an IPv6 address',
    (text) => expect(parseIpv6(text)).toBeNull(),
  );
});

describe('classifyAddress decides on bytes, through every IPv6 disguise', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'shared'],
    ['100.100.100.200', 'shared'],
    ['100.128.0.1', 'public'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['192.0.0.192', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['8.8.8.8', 'public'],
    ['93.184.216.34', 'public'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fc00::1', 'private'],
    ['fd00:ec2::254', 'private'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['fec0::1', 'private'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:0:10.0.0.1', 'private'],
    ['::127.0.0.1', 'loopback'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['64:ff9b::a9fe:a9fe', 'link-local'],
    ['64:ff9b::808:808', 'public'],
    ['64:ff9b:1::1', 'private'],
    ['2002:7f00:1::', 'loopback'],
    ['2002:a9fe:a9fe::1', 'link-local'],
    ['2002:808:808::1', 'public'],
    ['2001::1', 'reserved'],
    ['2001:db8::1', 'reserved'],
    ['2606:4700:4700::1111', 'public'],
  ])('%s is %s', (text, cls) => {
    const address = parseIpAddress(text);
    expect(address).not.toBeNull();
    expect(classifyAddress(address!).class).toBe(cls);
  });
});

describe('addressRefusal', () => {
  const refusal = (text: string, policy = strict) => addressRefusal(parseIpAddress(text)!, policy);

  it('allows public addresses', () => expect(refusal('8.8.8.8')).toBeNull());

  it('refuses private classes unless the operator allows private networks', () => {
    expect(refusal('127.0.0.1')).toBe('address 127.0.0.1 is loopback');
    expect(refusal('::ffff:169.254.169.254')).toBe(
      'address ::ffff:a9fe:a9fe (embeds 169.254.169.254) is link-local',
    );
    expect(refusal('127.0.0.1', lenient)).toBeNull();
    expect(refusal('169.254.169.254', lenient)).toBeNull();
  });

  it.each(['0.0.0.0', '::', '255.255.255.255', '224.0.0.1', 'ff02::1'])(
    'never allows %s, even with private networks allowed',
    (text) => expect(refusal(text, lenient)).not.toBeNull(),
  );
});
