import type { Manifest } from '@convergio/contracts';
import { exampleModule, expectEventually, sha256Hex } from '@convergio/testing';
import { adminKey, api, bearer, greetManifest, submit, versionState } from './fixtures.js';

/** What a host function answered the hostile plugin: its result, or a structured error. */
export type HostAnswer = {
  error?: { code: string; capability?: string; message?: string };
} & Record<string, unknown>;

/** A permission.denied record as the audit log returns it. */
export interface Denial {
  data: { capability: string; target: string; reason: string };
}

const tool = (name: string) => ({
  name,
  function: name,
  description: `attack ${name}`,
  input_schema: {},
});

/**
 * Publishes hostile.wasm with these grants, has an admin approve it when its grants need
 * approval, and waits until it is loaded; returns its plugin id. Its tools: `call_host`,
 * `ping` and any `extraTools`.
 */
export async function deployHostile(
  publisher: string,
  {
    permissions,
    limits,
    extraTools = [],
  }: Pick<Manifest, 'permissions' | 'limits'> & {
    extraTools?: string[];
  },
): Promise<string> {
  const module = exampleModule('hostile.wasm');
  const manifest = greetManifest({
    entrypoint: 'hostile.wasm',
    capabilities: { tools: ['call_host', 'ping', ...extraTools].map(tool) },
    permissions,
    limits,
    signing: { sha256: sha256Hex(module) },
  });
  await submit(publisher, manifest, module).expect(202);
  // Verified behind every module submitted with it: in the chaos suite's burst, about 40, each
  // checked in a fresh worker two at a time (ADR 0020), which on a loaded box took over 15 s.
  const verified = await expectEventually(
    async () => {
      const { status } = await versionState(publisher, manifest.id);
      expect(['pending_approval', 'approved']).toContain(status);
      return status;
    },
    { timeoutMs: 100_000, intervalMs: 250 },
  );
  // The registry and the approval service learn of the verdict independently: the review may
  // appear a moment after the registry says pending_approval.
  if (verified === 'pending_approval')
    await expectEventually(() =>
      api()
        .post(`/v1/approvals/${manifest.id}/1.0.0/approve`)
        .set(bearer(adminKey()))
        .send({ note: 'attack suite' })
        .expect(200),
    );
  await expectEventually(async () =>
    expect(await versionState(publisher, manifest.id)).toMatchObject({
      status: 'approved',
      loaded: true,
    }),
  );
  return manifest.id;
}

/** Has the hostile plugin call one host function (through its `call_host` export). */
export async function callHost(
  invoker: string,
  pluginId: string,
  fn: string,
  arg: unknown,
): Promise<HostAnswer> {
  const res = await api()
    .post(`/v1/plugins/${pluginId}/invoke`)
    .set(bearer(invoker))
    .send({ function: 'call_host', input: { fn, arg } })
    .expect(200);
  return res.body.output as HostAnswer;
}

/** The plugin still answers: its `ping` says pong. */
export async function expectPong(invoker: string, pluginId: string): Promise<void> {
  const res = await api()
    .post(`/v1/plugins/${pluginId}/invoke`)
    .set(bearer(invoker))
    .send({ function: 'ping', input: {} })
    .expect(200);
  expect(res.body.output).toBe('pong');
}

/** The permission.denied records of one plugin (at most 500, the audit query's page). */
export async function denials(auditor: string, pluginId: string): Promise<Denial[]> {
  const res = await api()
    .get('/v1/audit')
    .query({ plugin_id: pluginId, type: 'permission.denied', limit: 500 })
    .set(bearer(auditor))
    .expect(200);
  return res.body.events as Denial[];
}
