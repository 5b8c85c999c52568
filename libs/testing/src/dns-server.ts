import { createSocket } from 'node:dgram';

/** The record types the test server answers; any other type gets an empty answer. */
export type DnsRecordType = 'A' | 'AAAA';

/**
 * The addresses to answer for one query: called per query, so it may change its mind.
 * `null` sends nothing back, like a server that never answers (the query is still counted).
 */
export type DnsAnswers = (name: string, type: DnsRecordType) => string[] | null;

/** A DNS server on 127.0.0.1 that answers what the test says and remembers what it was asked. */
export interface TestDnsServer {
  /** `127.0.0.1:<port>`, as `Resolver.setServers` and EXECUTOR_DNS_SERVERS take it. */
  address: string;
  /** The record types asked for `name` so far, in arrival order. */
  queries(name: string): string[];
  close(): Promise<void>;
}

const TYPES: Record<number, DnsRecordType> = { 1: 'A', 28: 'AAAA' };
const CODES = { A: 1, AAAA: 28 };

/**
 * Starts a UDP DNS server (the few bytes of RFC 1035 a stub resolver needs) on a random
 * port. Answers carry TTL 0, so a caching resolver asks again each time.
 */
export async function startDnsServer(answer: DnsAnswers): Promise<TestDnsServer> {
  const asked = new Map<string, string[]>();
  const socket = createSocket('udp4');
  socket.on('message', (query, peer) => {
    const { name, type, questionEnd } = readQuestion(query);
    const typeName = TYPES[type];
    asked.set(name, [...(asked.get(name) ?? []), typeName ?? String(type)]);
    const addresses = typeName ? answer(name, typeName) : [];
    if (addresses === null) return;
    const records = addresses.map((a) => record(typeName, a));
    const header = Buffer.alloc(12);
    query.copy(header, 0, 0, 2); // id
    header.writeUInt16BE(0x8400 | (query.readUInt16BE(2) & 0x0100) | 0x0080, 2); // QR AA RD RA
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(records.length, 6);
    socket.send(
      Buffer.concat([header, query.subarray(12, questionEnd), ...records]),
      peer.port,
      peer.address,
    );
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${socket.address().port}`,
    queries: (name) => asked.get(name) ?? [],
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}

function readQuestion(query: Buffer): { name: string; type: number; questionEnd: number } {
  const labels: string[] = [];
  let at = 12;
  while (query[at] !== 0) {
    labels.push(query.toString('latin1', at + 1, at + 1 + query[at]));
    at += 1 + query[at];
  }
  return {
    name: labels.join('.').toLowerCase(),
    type: query.readUInt16BE(at + 1),
    questionEnd: at + 5,
  };
}

/** One answer record: a pointer to the question's name, class IN, TTL 0, the address. */
function record(type: DnsRecordType, address: string): Buffer {
  const data = type === 'A' ? Buffer.from(address.split('.').map(Number)) : ipv6Bytes(address);
  const head = Buffer.alloc(12);
  head.writeUInt16BE(0xc00c, 0);
  head.writeUInt16BE(CODES[type], 2);
  head.writeUInt16BE(1, 4);
  head.writeUInt16BE(data.length, 10);
  return Buffer.concat([head, data]);
}

/** Hex groups with at most one `::` (no embedded IPv4 form). */
function ipv6Bytes(address: string): Buffer {
  const groups = (part: string | undefined) => (part ? part.split(':') : []);
  const [head, tail] = address.split('::');
  const known = [...groups(head), ...groups(tail)].length;
  const all =
    tail === undefined
      ? groups(head)
      : [...groups(head), ...Array<string>(8 - known).fill('0'), ...groups(tail)];
  const bytes = Buffer.alloc(16);
  all.forEach((group, i) => bytes.writeUInt16BE(parseInt(group, 16), i * 2));
  return bytes;
}
