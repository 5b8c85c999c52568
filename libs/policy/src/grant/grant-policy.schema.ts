import { Type, type Static } from '@sinclair/typebox';
import { PluginIdSchema } from '@convergio/contracts';

// Values are only typed here; their meaning (paths, hosts, ranges, permission names) is
// checked by parseGrantPolicy, which says more than "must match pattern".
const Strings = Type.Array(Type.String({ minLength: 1, maxLength: 1024 }), { maxItems: 1024 });
const Limit = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });

/** The grant policy file as written (JSON or YAML); every key optional, unknown keys refused. */
export const GrantPolicyFileSchema = Type.Object(
  {
    filesystem: Type.Optional(
      Type.Object(
        {
          roots: Type.Optional(
            Type.Array(
              Type.Object(
                {
                  path: Type.String({ minLength: 1, maxLength: 4096 }),
                  access: Type.Unsafe<'read' | 'read-write'>({
                    type: 'string',
                    enum: ['read', 'read-write'],
                  }),
                },
                { additionalProperties: false },
              ),
              { maxItems: 256 },
            ),
          ),
          admin_required_outside_plugin_dir: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: false },
      ),
    ),
    network: Type.Optional(
      Type.Object(
        {
          denied_hosts: Type.Optional(Strings),
          denied_host_suffixes: Type.Optional(Strings),
          denied_cidrs: Type.Optional(Strings),
          private_network_plugins: Type.Optional(
            Type.Array(PluginIdSchema, {
              maxItems: 1024,
            }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    permissions: Type.Optional(
      Type.Object(
        { denied: Type.Optional(Strings), admin_required: Type.Optional(Strings) },
        { additionalProperties: false },
      ),
    ),
    limits: Type.Optional(
      Type.Object(
        {
          max: Type.Optional(
            Type.Object(
              {
                wall_time_ms: Type.Optional(Limit),
                fuel: Type.Optional(Limit),
                memory_pages: Type.Optional(
                  Type.Integer({ minimum: 1, maximum: 65536, description: '64 KiB Wasm pages' }),
                ),
                max_host_calls: Type.Optional(Limit),
              },
              { additionalProperties: false },
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    protected_paths: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 4096 }), { maxItems: 256 }),
    ),
  },
  { additionalProperties: false },
);

/** A policy file that passed the schema, before its values are checked and normalised. */
export type GrantPolicyFile = Static<typeof GrantPolicyFileSchema>;
