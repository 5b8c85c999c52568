import { Type } from '@sinclair/typebox';
import { describeConfig } from './describe-config.js';
import { Secret } from './secret.js';

describe('describeConfig', () => {
  const table = describeConfig(
    Type.Object({
      NATS_URL: Type.String({ format: 'uri', description: 'NATS server URL' }),
      HTTP_PORT: Type.Integer({ default: 3000, description: 'port | for HTTP' }),
      LOG_LEVEL: Type.Optional(Type.Union([Type.Literal('info'), Type.Literal('debug')])),
      DB_PASSWORD: Secret(Type.String({ default: 'changeme' })),
    }),
  ).split('\n');

  it('renders a header and one row per variable', () => {
    expect(table.slice(0, 2)).toEqual([
      '| Variable | Type | Default | Description | Secret |',
      '| --- | --- | --- | --- | --- |',
    ]);
    expect(table).toHaveLength(2 + 4);
  });

  it.each([
    ['a required variable', '| `NATS_URL` | string (uri) | (required) | NATS server URL | no |'],
    [
      'a defaulted variable, escaping pipes',
      '| `HTTP_PORT` | integer | `3000` | port \\| for HTTP | no |',
    ],
    ['an optional enum', '| `LOG_LEVEL` | one of "info", "debug" | (optional) |  | no |'],
    ['a secret, hiding its default', '| `DB_PASSWORD` | string | <redacted> |  | yes |'],
  ])('describes %s', (_case, row) => {
    expect(table).toContain(row);
  });
});
