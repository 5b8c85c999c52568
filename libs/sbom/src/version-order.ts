import semver from 'semver';

/**
 * Orders two versions of one ecosystem: negative, 0 or positive as `a` sorts before, with or
 * after `b`; `undefined` when either is not a version of that ordering.
 */
export type VersionOrder = (a: string, b: string) => number | undefined;

/**
 * SemVer 2.0 precedence (semver.org §11) with the `semver` package: build metadata ignored,
 * pre-releases before their release. A leading `v` is accepted (Go module versions carry one).
 */
export const semverOrder: VersionOrder = (a, b) => {
  const left = semver.parse(a);
  const right = semver.parse(b);
  return left && right ? left.compare(right) : undefined;
};

/** Ranks of words in {@link dottedOrder}: below 0 sorts before the release, above 0 after. */
const WORD_RANKS = new Map<string, number>(
  Object.entries({
    dev: -5,
    snapshot: -5,
    a: -4,
    alpha: -4,
    b: -3,
    beta: -3,
    m: -2,
    milestone: -2,
    c: -1,
    rc: -1,
    cr: -1,
    pre: -1,
    preview: -1,
    ga: 0,
    final: 0,
    release: 0,
    post: 1,
    sp: 1,
    patch: 1,
    pl: 1,
  }),
);
/** Words not in {@link WORD_RANKS} sort with the pre-releases, alphabetically among themselves. */
const UNKNOWN_WORD_RANK = -1;

type Token = { number: string } | { word: string };

/**
 * A generic order for ecosystems whose own rules this lib does not implement (PyPI, Maven,
 * NuGet, RubyGems, Packagist, ...): the version is cut into runs of digits and runs of letters
 * (anything else only separates); numbers compare by value (any length); a missing number
 * counts as 0 (`1.0` = `1.0.0`); a word sorts before any number; pre-release words (dev, a,
 * alpha, b, beta, m, rc, pre, preview, snapshot and unknown words) sort before the release and
 * post-release words (post, sp, patch, pl) after it, so `1.0rc1 < 1.0 < 1.0.post1 < 1.0.1`.
 * Not understood: PEP 440 epochs (`1!2.0`), local versions (`+local`) and Maven's full
 * ComparableVersion rules. Every string is a version here, so it never answers `undefined`.
 */
export const dottedOrder: VersionOrder = (a, b) => {
  const left = tokens(a);
  const right = tokens(b);
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const order = compareTokens(left[i], right[i]);
    if (order !== 0) return order;
  }
  return 0;
};

function tokens(version: string): Token[] {
  const found: Token[] = [];
  for (const match of version.toLowerCase().matchAll(/(\d+)|([a-z]+)/g))
    found.push(match[1] !== undefined ? { number: match[1] } : { word: match[2] });
  return found;
}

function compareTokens(left: Token | undefined, right: Token | undefined): number {
  if (left === undefined && right === undefined) return 0;
  if (left === undefined) return -compareTokens(right, undefined);
  if ('number' in left) {
    if (right === undefined) return compareNumbers(left.number, '0');
    if ('number' in right) return compareNumbers(left.number, right.number);
    return 1;
  }
  if (right === undefined) return Math.sign(rank(left.word));
  if ('number' in right) return -1;
  return rank(left.word) - rank(right.word) || compareStrings(left.word, right.word);
}

function rank(word: string): number {
  return WORD_RANKS.get(word) ?? UNKNOWN_WORD_RANK;
}

function compareNumbers(a: string, b: string): number {
  const left = a.replace(/^0+/, '');
  const right = b.replace(/^0+/, '');
  return left.length - right.length || compareStrings(left, right);
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
