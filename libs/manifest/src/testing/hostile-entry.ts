import type { Manifest } from '@convergio/contracts';
import { signManifest } from '@convergio/signing';
import { aManifest, exampleModule } from '@convergio/testing';
import type { CorpusSignerRole, HostileContext } from './context.js';

/** What a publisher sends: plugin.json as text or raw bytes, the module, an optional SBOM. */
export interface HostilePackage {
  manifest: string | Uint8Array;
  module: Uint8Array;
  sbom?: Uint8Array;
}

/**
 * How the platform must refuse an entry. `gateway`: the submission is answered 4xx and nothing
 * is stored; `code` is the error's code or one of its detail codes. `verification`: the version
 * is `rejected` with `code` among its findings. `libraryCode`: the code libs/signing
 * (parseManifestText) or libs/manifest (checkSubmission) refuses it with, where the platform
 * names it otherwise (the gateway's `bad_request` is the parser's `manifest_invalid_json`).
 * `rule`: the policy rule of a `policy_violation`.
 */
export interface HostileExpectation {
  stage: 'gateway' | 'verification';
  code: string;
  libraryCode?: string;
  rule?: string;
}

/** One hostile or broken package of the corpus and the refusal it must meet. */
export interface HostileEntry {
  name: string;
  build: (ctx: HostileContext) => HostilePackage;
  expect: HostileExpectation;
  /**
   * The plugin id already has an approved version 1.0.0 signed by this signer
   * ({@link priorVersion}); the entry is a later version.
   */
  pinnedTo?: CorpusSignerRole;
}

/** Builds an entry whose `build` gets the plugin id its name gives. */
export function hostile(
  name: string,
  expect: HostileExpectation,
  build: (ctx: HostileContext, id: string) => HostilePackage,
  extra: Pick<HostileEntry, 'pinnedTo'> = {},
): HostileEntry {
  return { name, expect, build: (ctx) => build(ctx, ctx.pluginId(name)), ...extra };
}

let greet: Uint8Array | undefined;
/** The greet example's module: exports `greet`, imports nothing the ABI refuses. */
export const greetModule = (): Uint8Array => (greet ??= exampleModule('greet.wasm'));

/** A valid unsigned plugin.json for `module` (greet by default) with this id. */
export const manifestFor = (
  id: string,
  overrides: Partial<Manifest> = {},
  module: Uint8Array = greetModule(),
): Manifest => aManifest({ id, ...overrides }, module);

/** The manifest signed by a corpus signer, for `module`. */
export function signedBy(
  ctx: HostileContext,
  role: CorpusSignerRole,
  manifest: Manifest,
  module: Uint8Array = greetModule(),
): Manifest {
  const signer = ctx.signers[role];
  const secretKey = signer.key.secretKey;
  if (!secretKey) throw new Error(`corpus signer ${role} has no secret key`);
  return signManifest(manifest, module, secretKey, signer.id);
}

/** The greet package as JSON text. */
export const packageOf = (manifest: unknown, module: Uint8Array = greetModule()) => ({
  manifest: JSON.stringify(manifest),
  module,
});

/** The approved version an entry with `pinnedTo` needs first: 1.0.0 of its id, signed. */
export function priorVersion(ctx: HostileContext, entry: HostileEntry): HostilePackage {
  if (!entry.pinnedTo) throw new Error(`${entry.name} needs no prior version`);
  return packageOf(
    signedBy(ctx, entry.pinnedTo, manifestFor(ctx.pluginId(entry.name), { version: '1.0.0' })),
  );
}

/**
 * The package the signature entries tamper with, untampered: greet signed by acme, which the
 * platform accepts (a control: a refusal of the entries is theirs, not the keyring's).
 */
export const acceptedPackage = (ctx: HostileContext, id: string): HostilePackage =>
  packageOf(signedBy(ctx, 'acme', manifestFor(id)));
