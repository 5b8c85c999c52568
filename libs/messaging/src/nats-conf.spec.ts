import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ALL_EVENT_SUBJECTS, RequestSubjects } from '@convergio/contracts';

// deploy/nats/nats.conf grants each service its subjects by name: a subject added to the
// contracts without a grant there would be refused on a server run with that file.
const conf = readFileSync(
  fileURLToPath(new URL('../../../deploy/nats/nats.conf', import.meta.url)),
  'utf8',
);

describe('deploy/nats/nats.conf', () => {
  it.each(ALL_EVENT_SUBJECTS)('lets some service publish %s', (subject) => {
    expect(conf).toContain(`"convergio.${subject}"`);
  });

  it.each(Object.values(RequestSubjects))('lets some service answer %s', (subject) => {
    expect(conf).toContain(`"convergio.${subject.split('.')[0]}.>"`);
  });

  it('lets no service read every inbox', () => {
    expect(conf).not.toMatch(/"_INBOX\.>"/);
  });
});
