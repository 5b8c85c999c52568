import { PackageURL } from 'packageurl-js';
import { dottedOrder, semverOrder, type VersionOrder } from './version-order.js';

interface EcosystemRules {
  /** The OSV ecosystem name (https://ossf.github.io/osv-schema/#defined-ecosystems). */
  ecosystem: string;
  /** The OSV package name of a purl's namespace and name. */
  name(namespace: string | undefined, name: string): string | undefined;
  /** The order of ECOSYSTEM ranges (SEMVER ranges always use SemVer). */
  order: VersionOrder;
}

const joined =
  (separator: string) =>
  (namespace: string | undefined, name: string): string =>
    namespace ? `${namespace}${separator}${name}` : name;

/** A leading `v` before a digit, which means nothing in the ecosystems of {@link V_PREFIXED}. */
const withoutV = (version: string) => version.replace(/^[vV](?=\d)/, '');

/** `order` reading a leading `v` as nothing, on both sides (a component's and the database's). */
const vPrefixFree =
  (order: VersionOrder): VersionOrder =>
  (a, b) =>
    order(withoutV(a), withoutV(b));

/**
 * purl types (https://github.com/package-url/purl-spec) this lib matches, with their OSV
 * ecosystem. npm, crates.io, Go, Hex and Pub versions are SemVer; the others use the generic
 * dotted order of {@link dottedOrder}.
 */
const BY_PURL_TYPE = new Map<string, EcosystemRules>([
  ['npm', { ecosystem: 'npm', name: joined('/'), order: semverOrder }],
  ['cargo', { ecosystem: 'crates.io', name: joined('/'), order: semverOrder }],
  ['golang', { ecosystem: 'Go', name: joined('/'), order: semverOrder }],
  ['hex', { ecosystem: 'Hex', name: joined('/'), order: semverOrder }],
  ['pub', { ecosystem: 'Pub', name: joined('/'), order: semverOrder }],
  ['pypi', { ecosystem: 'PyPI', name: joined('/'), order: vPrefixFree(dottedOrder) }],
  ['maven', { ecosystem: 'Maven', name: (ns, name) => ns && `${ns}:${name}`, order: dottedOrder }],
  ['nuget', { ecosystem: 'NuGet', name: joined('/'), order: dottedOrder }],
  ['gem', { ecosystem: 'RubyGems', name: joined('/'), order: dottedOrder }],
  ['composer', { ecosystem: 'Packagist', name: joined('/'), order: vPrefixFree(dottedOrder) }],
]);

/**
 * Ecosystems whose versions may carry a leading `v` that means nothing: Go module versions always
 * do; PEP 440 normalises `v1.0` to `1.0`; Composer drops it (its tags and composer.lock keep it).
 * Read as a pre-release word by the dotted order, `v5.4.3` sorted below `5.0.0` and slipped
 * out of every range (found by a review). The component's version is read without it, and PyPI's
 * and Packagist's order drop it on both sides, so a database spelling `v5.4.3` matches too.
 */
const V_PREFIXED = new Set(['Go', 'PyPI', 'Packagist']);

const BY_ECOSYSTEM = new Map([...BY_PURL_TYPE.values()].map((rules) => [rules.ecosystem, rules]));

/** The order of an ECOSYSTEM range of `ecosystem` (the generic dotted order when unknown). */
export function ecosystemOrder(ecosystem: string): VersionOrder {
  return BY_ECOSYSTEM.get(ecosystem)?.order ?? dottedOrder;
}

/** True for ecosystems whose versions are SemVer: their ECOSYSTEM ranges must hold SemVer. */
export function isSemverEcosystem(ecosystem: string): boolean {
  return ecosystemOrder(ecosystem) === semverOrder;
}

/**
 * The key a package is indexed under: ecosystem and name, the name compared as the ecosystem
 * does (PyPI: PEP 503 normalised; NuGet and Packagist: case-insensitive).
 */
export function packageKey(ecosystem: string, name: string): string {
  let comparable = name;
  if (ecosystem === 'PyPI') comparable = name.toLowerCase().replace(/[-_.]+/g, '-');
  else if (ecosystem === 'NuGet' || ecosystem === 'Packagist') comparable = name.toLowerCase();
  return `${ecosystem}\u0000${comparable}`;
}

/** A component's package as the vulnerability database names it. */
export interface PurlPackage {
  ecosystem: string;
  /** The OSV package name (Maven `group:artifact`, npm `@scope/name`, Go module path). */
  name: string;
  /**
   * The version to match, from the purl, else the component's `version` (Go, PyPI, Packagist:
   * without a leading `v`).
   */
  version: string | undefined;
  order: VersionOrder;
}

/**
 * The package a purl names, or `undefined` when the purl does not parse (packageurl-js) or its
 * type is not one this lib matches.
 */
export function purlPackage(purl: string, componentVersion?: string): PurlPackage | undefined {
  let parsed: PackageURL;
  try {
    parsed = PackageURL.fromString(purl);
  } catch {
    return undefined;
  }
  const rules = BY_PURL_TYPE.get(parsed.type);
  const name = rules?.name(parsed.namespace ?? undefined, parsed.name);
  if (!rules || !name) return undefined;
  let version = parsed.version ?? componentVersion;
  if (version !== undefined && V_PREFIXED.has(rules.ecosystem)) version = withoutV(version);
  return { ecosystem: rules.ecosystem, name, version, order: rules.order };
}
