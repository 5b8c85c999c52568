import { DomainError, MAX_SECRET_VALUE_BYTES, RequestSubjects } from '@convergio/contracts';
import type { BusClient } from '@convergio/messaging';
import type { Principal } from '../auth/roles.js';
import { SecretsController } from './secrets.controller.js';
import { messageContext } from '@convergio/messaging';

const admin: Principal = {
  keyId: 'k-admin',
  name: 'ops',
  roles: ['admin'],
  publisher: null,
  issuedBy: null,
  secretValidUntil: null,
};

/** A controller whose bus records what it was asked. */
function controller() {
  const asked: { subject: string; data: unknown }[] = [];
  const bus = {
    request: (subject: string, data: unknown) => {
      asked.push({ subject, data });
      return Promise.resolve({ id: 'x', created: true });
    },
  } as unknown as BusClient;
  return { secrets: new SecretsController(bus), asked };
}

describe('SecretsController.put', () => {
  it('refuses a value over the limit with 413, naming the field, the limit and that no setting changes it, before asking the broker', () => {
    const { secrets, asked } = controller();
    let refused: unknown;
    try {
      void secrets.put(
        'big',
        { value: 'é'.repeat(MAX_SECRET_VALUE_BYTES / 2) + 'x' },
        admin,
        messageContext(undefined),
      );
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(DomainError);
    const { code, message, details } = refused as DomainError;
    expect(code).toBe('payload_too_large');
    expect(message).toContain('"value"');
    expect(message).toContain(`${MAX_SECRET_VALUE_BYTES} bytes (25 KiB)`);
    expect(message).toContain('no setting changes it');
    expect(details).toEqual([{ code: 'secret_value_too_large', message, path: '/value' }]);
    expect(asked).toEqual([]);
  });

  it('passes a value at the limit on to the broker', async () => {
    const { secrets, asked } = controller();
    const value = 'x'.repeat(MAX_SECRET_VALUE_BYTES);
    await secrets.put('at-limit', { value }, admin, messageContext(undefined));
    expect(asked).toEqual([
      { subject: RequestSubjects.SecretsPut, data: { id: 'at-limit', value, actor: 'k-admin' } },
    ]);
  });
});
