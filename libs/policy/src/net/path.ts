/**
 * Does a request path fall under a granted `path_prefix`?
 *
 * The path comes from the WHATWG parser, so `.`/`..` segments (also `%2e%2e`) are already
 * resolved. It is then percent-decoded once, because servers and proxies route on the
 * decoded path: after decoding it must hold no dot segment (`/api/..%2fadmin`), no
 * `..;` (Tomcat-style `/api/..;/admin`), no backslash, NUL or control character, no
 * percent-encoding left (`/api/%252e%252e/admin` decodes to `/api/%2e%2e/admin`, which a
 * proxy or framework that decodes again routes to `/admin`), and must decode cleanly;
 * otherwise the path is ambiguous and refused.
 * The prefix matches whole segments: `/api` covers `/api` and `/api/x`, never `/apix`;
 * a prefix ending in `/` covers only what is below it.
 */
export function pathMatchesPrefix(path: string, prefix: string): boolean {
  if (pathAmbiguity(path) !== null) return false;
  const decoded = decodeOnce(path) ?? '';
  const want = decodeOnce(prefix);
  if (want === null || !want.startsWith('/')) return false;
  if (want.endsWith('/')) return decoded.startsWith(want);
  return decoded === want || decoded.startsWith(`${want}/`);
}

/** Why a path is unsafe to compare, or null (exported for the tests and for callers that log). */
export function pathAmbiguity(path: string): string | null {
  const decoded = decodeOnce(path);
  if (decoded === null) return 'path has malformed percent-encoding';
  // Checked on the decoded text, not on the raw `%25`: `%25%32%65` also decodes to `%2e`.
  if (/%[0-9a-f]{2}/i.test(decoded))
    return 'path has %25 followed by hex digits: a second percent-decoding would change it';
  return isAmbiguous(decoded)
    ? 'path has dot segments, backslashes or control characters once decoded'
    : null;
}

function decodeOnce(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

function isAmbiguous(decoded: string): boolean {
  if (/[\\\u0000-\u001f\u007f]/.test(decoded)) return true;
  return decoded.split('/').some((segment) => {
    const bare = segment.split(';')[0];
    return bare === '.' || bare === '..';
  });
}
