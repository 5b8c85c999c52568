// Just enough JSON for a plugin that reads one string property and writes one string property.

/** The outcome of reading a string property: `valid` is false when the input is not a JSON object. */
export class StringField {
  constructor(
    public valid: bool,
    public value: string | null,
  ) {}
}

/** Reads the string value of `key` in the JSON object `json` (null when absent or not a string). */
export function readStringField(json: string, key: string): StringField {
  const scanner = new Scanner(json);
  let value: string | null = null;
  scanner.expect(0x7b); // {
  if (!scanner.consume(0x7d)) {
    do {
      const name = scanner.string();
      scanner.expect(0x3a); // :
      if (name == key && scanner.peek() == 0x22) value = scanner.string();
      else scanner.skipValue();
    } while (scanner.ok && scanner.consume(0x2c)); // ,
    scanner.expect(0x7d); // }
  }
  scanner.skipSpace();
  const valid = scanner.ok && scanner.atEnd();
  return new StringField(valid, valid ? value : null);
}

/** Encodes `value` as a JSON string literal, quotes included. */
export function quoteJson(value: string): string {
  let out = '"';
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c == 0x22) out += '\\"';
    else if (c == 0x5c) out += '\\\\';
    else if (c < 0x20) out += '\\u00' + (c < 0x10 ? '0' : '') + c.toString(16);
    else out += String.fromCharCode(c);
  }
  return out + '"';
}

class Scanner {
  ok: bool = true;
  private at: i32 = 0;

  constructor(private text: string) {}

  atEnd(): bool {
    return this.at >= this.text.length;
  }

  peek(): i32 {
    this.skipSpace();
    return this.atEnd() ? -1 : this.text.charCodeAt(this.at);
  }

  consume(c: i32): bool {
    if (this.peek() != c) return false;
    this.at++;
    return true;
  }

  expect(c: i32): void {
    if (!this.consume(c)) this.ok = false;
  }

  skipSpace(): void {
    while (!this.atEnd()) {
      const c = this.text.charCodeAt(this.at);
      if (c != 0x20 && c != 0x09 && c != 0x0a && c != 0x0d) break;
      this.at++;
    }
  }

  string(): string {
    let out = '';
    if (!this.consume(0x22)) {
      this.ok = false;
      return out;
    }
    while (!this.atEnd()) {
      const c = this.text.charCodeAt(this.at++);
      if (c == 0x22) return out;
      if (c < 0x20) break;
      if (c != 0x5c) {
        out += String.fromCharCode(c);
        continue;
      }
      const escaped = this.escape();
      if (escaped < 0) break;
      out += String.fromCharCode(escaped);
    }
    this.ok = false;
    return out;
  }

  // Returns the UTF-16 unit of the escape after a backslash, or -1; surrogate pairs arrive as two \u escapes.
  private escape(): i32 {
    if (this.atEnd()) return -1;
    const c = this.text.charCodeAt(this.at++);
    if (c == 0x22 || c == 0x5c || c == 0x2f) return c;
    if (c == 0x62) return 0x08;
    if (c == 0x66) return 0x0c;
    if (c == 0x6e) return 0x0a;
    if (c == 0x72) return 0x0d;
    if (c == 0x74) return 0x09;
    if (c != 0x75 || this.at + 4 > this.text.length) return -1;
    const code = I32.parseInt(this.text.substr(this.at, 4), 16);
    if (isNaN(code)) return -1;
    this.at += 4;
    return <i32>code;
  }

  skipValue(): void {
    const c = this.peek();
    if (c == 0x22) {
      this.string();
    } else if (c == 0x7b || c == 0x5b) {
      this.skipContainer(c == 0x7b ? 0x7d : 0x5d);
    } else {
      const start = this.at;
      while (!this.atEnd() && isScalarChar(this.text.charCodeAt(this.at))) this.at++;
      if (this.at == start) this.ok = false;
    }
  }

  private skipContainer(close: i32): void {
    this.at++;
    if (this.consume(close)) return;
    do {
      if (close == 0x7d) {
        this.string();
        this.expect(0x3a);
      }
      this.skipValue();
    } while (this.ok && this.consume(0x2c));
    this.expect(close);
  }
}

// Numbers, true, false, null: validated loosely because only the `key` property matters.
function isScalarChar(c: i32): bool {
  return (
    (c >= 0x30 && c <= 0x39) ||
    (c >= 0x61 && c <= 0x7a) ||
    c == 0x2d ||
    c == 0x2b ||
    c == 0x2e ||
    c == 0x45
  );
}
