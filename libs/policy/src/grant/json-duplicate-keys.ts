/**
 * Duplicate object keys in a JSON text that JSON.parse already accepted (JSON.parse keeps
 * the last one silently, so an operator's second `denied` would drop the first). Returns
 * one message per duplicate, with its line. Only valid JSON may be passed in.
 */
export function jsonDuplicateKeys(text: string): string[] {
  const problems: string[] = [];
  const objects: (Set<string> | null)[] = []; // null: an array
  let line = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') line++;
    else if (c === '{') objects.push(new Set());
    else if (c === '[') objects.push(null);
    else if (c === '}' || c === ']') objects.pop();
    else if (c === '"') {
      const end = stringEnd(text, i);
      const keys = objects[objects.length - 1];
      if (keys && /^\s*:/.test(text.slice(end + 1, end + 64))) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (keys.has(key)) problems.push(`line ${line}: duplicate key ${JSON.stringify(key)}`);
        keys.add(key);
      }
      i = end;
    }
  }
  return problems;
}

/** Index of the closing quote of the string starting at `start`. */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
  return i;
}
