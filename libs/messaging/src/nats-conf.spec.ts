import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ALL_EVENT_SUBJECTS, EVENT_PUBLISHERS, RequestSubjects } from '@convergio/contracts';
import { SERVICES } from '@convergio/testing';
import { releaseEventSubjects } from './event-stream.js';

// deploy/nats/nats.conf grants each service its subjects by name: a subject added to the
// contracts without a grant there would be refused on a server run with that file.
const conf = readFileSync(
  fileURLToPath(new URL('../../../deploy/nats/nats.conf', import.meta.url)),
  'utf8',
);

const STREAM = 'convergio_EVENTS';

/** The subjects of one `allow: [...]` or `deny: [...]` list in a user's permissions. */
function subjectList(block: string, direction: 'publish' | 'subscribe', list: 'allow' | 'deny') {
  const section = block.split(`${direction}: {`)[1]?.split(/\n\s*(publish|subscribe): \{/)[0];
  const entries = section?.split(`${list}: [`)[1]?.split(']')[0] ?? '';
  return [...entries.matchAll(/"([^"]+)"/g)].map((m) => m[1]);
}

/** Each user's permissions, from its `user: "<name>"` to the next user (comments left out). */
const users = new Map(
  conf
    .replace(/#.*$/gm, '')
    .split(/(?=user: ")/)
    .slice(1)
    .map((block) => [/^user: "([^"]+)"/.exec(block)![1], block]),
);

/** Whether a NATS subject pattern (`*` one token, `>` the rest) matches a subject. */
function matches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length || (p[i] !== '*' && p[i] !== s[i])) return false;
  }
  return p.length === s.length;
}

/** Whether a user of the file may publish `subject` (its allow list matches, its deny list does not). */
function mayPublish(user: string, subject: string): boolean {
  const block = users.get(user);
  if (!block) throw new Error(`nats.conf has no user ${user}`);
  return (
    subjectList(block, 'publish', 'allow').some((p) => matches(p, subject)) &&
    !subjectList(block, 'publish', 'deny').some((p) => matches(p, subject))
  );
}

describe('deploy/nats/nats.conf', () => {
  it.each(SERVICES)('lets %s publish exactly its own events, on its own subjects', (user) => {
    const allowed = releaseEventSubjects('convergio').filter((s) => mayPublish(user, s));
    const own = ALL_EVENT_SUBJECTS.filter((s) => EVENT_PUBLISHERS[s].includes(user)).map(
      (s) => `convergio.${s}.${user}`,
    );
    expect(allowed.sort()).toEqual(own.sort());
    // Nor the subject an event had before subjects named their publisher.
    expect(ALL_EVENT_SUBJECTS.filter((s) => mayPublish(user, `convergio.${s}`))).toEqual([]);
  });

  it.each(Object.values(RequestSubjects))('lets some service answer %s', (subject) => {
    expect(conf).toContain(`"convergio.${subject.split('.')[0]}.>"`);
  });

  it('lets no service read every inbox', () => {
    expect(conf).not.toMatch(/"_INBOX\.>"/);
  });

  it.each(SERVICES)('lets %s look the stream up but never define, delete or purge it', (user) => {
    expect(mayPublish(user, `$JS.API.STREAM.INFO.${STREAM}`)).toBe(true);
    const granted = ['CREATE', 'UPDATE', 'DELETE', 'PURGE'].filter((operation) =>
      mayPublish(user, `$JS.API.STREAM.${operation}.${STREAM}`),
    );
    expect(granted).toEqual([]);
  });

  it('lets the provisioner define the stream and nothing else', () => {
    const block = users.get('provisioner') ?? '';
    expect(subjectList(block, 'publish', 'allow').sort()).toEqual(
      [
        '$JS.API.INFO',
        `$JS.API.STREAM.INFO.${STREAM}`,
        `$JS.API.STREAM.CREATE.${STREAM}`,
        `$JS.API.STREAM.UPDATE.${STREAM}`,
      ].sort(),
    );
    expect(subjectList(block, 'subscribe', 'allow')).toEqual(['_INBOX.provisioner.>']);
    expect(block).not.toContain('allow_responses');
  });

  it('reads the permissions it checks', () => {
    // The parser above would let every check pass on a file it cannot read.
    expect([...users.keys()]).toEqual(expect.arrayContaining([...SERVICES, 'sys']));
    expect(mayPublish('approval', 'convergio.plugin.approved.approval')).toBe(true);
    expect(mayPublish('registry', 'convergio.plugin.approved.approval')).toBe(false);
    expect(mayPublish('executor', 'convergio.permission.denied.secret-broker')).toBe(false);
    expect(mayPublish('executor', `$JS.API.CONSUMER.CREATE.${STREAM}.executor_watch_1`)).toBe(true);
    expect(mayPublish('executor', `$JS.API.CONSUMER.CREATE.${STREAM}.audit`)).toBe(false);
  });
});
