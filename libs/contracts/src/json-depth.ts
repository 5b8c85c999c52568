/**
 * Whether a parsed JSON value nests objects and arrays deeper than `maxDepth` (`{}` and `[]` are
 * depth 1). Walks without recursion, so it can run on any value JSON.parse returns (which parses
 * any depth) before something recursive does: JSON.stringify, Ajv or a walk of the value would
 * overflow the stack on a document a few thousand levels deep.
 */
export function nestsDeeperThan(value: unknown, maxDepth: number): boolean {
  const pending: { value: unknown; depth: number }[] = [{ value, depth: 1 }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    if (next.value === null || typeof next.value !== 'object') continue;
    if (next.depth > maxDepth) return true;
    for (const child of Object.values(next.value))
      pending.push({ value: child, depth: next.depth + 1 });
  }
  return false;
}
