/**
 * A bounded reader for the subset of HCL (version 1) that Vault policies use, and for the
 * JSON form of the same documents. It only builds a syntax tree with positions; what the
 * tree means is `parse.ts`'s business.
 *
 * Grammar (newlines are plain whitespace; commas between items are optional):
 *
 *   document = body | object            (an object first means the JSON form)
 *   body     = { item [","] }
 *   item     = key { key } ( ("=" | ":") value | object )
 *   key      = NAME | STRING
 *   value    = STRING | NUMBER | "true" | "false" | "null" | list | object
 *   list     = "[" [ value { "," value } [","] ] "]"
 *   object   = "{" body "}"
 *
 * `path "a" { … }` (several keys) reads as `path = { "a" = { … } }`, which is how HCL itself
 * nests blocks and exactly the JSON form's shape. Comments: `#` and `//` to the end of the
 * line, `/* … *\/`. No heredocs, no interpolation (`${…}` is literal text).
 *
 * There is no runtime-neutral, maintained HCL parser on npm (the ones there are GopherJS or
 * WASM builds of the Go library), and policies arrive from clients, so this one is small and
 * every loop in it is bounded by the text length and the nesting limit. Errors never quote the
 * text: they name the line, the column and the kind of token found.
 */

/** A position in the text: 1-based line and column (in UTF-16 code units). */
export interface Position {
  readonly line: number;
  readonly column: number;
}

export type Node =
  | { readonly kind: 'string'; readonly value: string; readonly pos: Position }
  | { readonly kind: 'number'; readonly value: number; readonly pos: Position }
  | { readonly kind: 'bool'; readonly value: boolean; readonly pos: Position }
  | { readonly kind: 'null'; readonly pos: Position }
  | { readonly kind: 'list'; readonly items: readonly Node[]; readonly pos: Position }
  | { readonly kind: 'object'; readonly entries: readonly Entry[]; readonly pos: Position };

/** One `key = value` of an object, in source order; keys may repeat. */
export interface Entry {
  readonly key: string;
  readonly keyPos: Position;
  readonly value: Node;
}

/** A syntax error at a position; `parse.ts` turns it into a `ValidationError`. */
export class HclSyntaxError extends Error {
  readonly pos: Position;
  readonly problem: string;

  constructor(pos: Position, problem: string) {
    super(`line ${pos.line}, column ${pos.column}: ${problem}`);
    this.name = 'HclSyntaxError';
    this.pos = pos;
    this.problem = problem;
  }
}

type TokenKind = 'string' | 'number' | 'name' | '{' | '}' | '[' | ']' | '=' | ':' | ',' | 'eof';

interface Token {
  kind: TokenKind;
  /** Decoded string, name text, or number text. */
  text: string;
  pos: Position;
}

const KIND_NAMES: Record<TokenKind, string> = {
  string: 'a string',
  number: 'a number',
  name: 'a name',
  '{': '"{"',
  '}': '"}"',
  '[': '"["',
  ']': '"]"',
  '=': '"="',
  ':': '":"',
  ',': '","',
  eof: 'the end of the text',
};

/** Limits the reader enforces; `parse.ts` passes the policy limits. */
export interface HclLimits {
  /** Deepest nesting of objects and lists (a block counts once per key level). */
  maxDepth: number;
}

const NAME_START = /[A-Za-z_]/;
const NAME_PART = /[A-Za-z0-9_.-]/;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

/** Splits text into tokens. Throws `HclSyntaxError` on anything outside the grammar. */
class Lexer {
  private i = 0;
  private line = 1;
  private lineStart = 0;

  constructor(private readonly text: string) {}

  private pos(at = this.i): Position {
    return { line: this.line, column: at - this.lineStart + 1 };
  }

  private newline(at: number): void {
    this.line++;
    this.lineStart = at + 1;
  }

  private skipTrivia(): void {
    const t = this.text;
    while (this.i < t.length) {
      const c = t.charCodeAt(this.i);
      if (c === 10 /* \n */) {
        this.newline(this.i);
        this.i++;
      } else if (c === 32 || c === 9 || c === 13 || c === 0xfeff) {
        this.i++;
      } else if (c === 35 /* # */ || (c === 47 /* / */ && t.charCodeAt(this.i + 1) === 47)) {
        while (this.i < t.length && t.charCodeAt(this.i) !== 10) this.i++;
      } else if (c === 47 && t.charCodeAt(this.i + 1) === 42 /* * */) {
        const start = this.pos();
        this.i += 2;
        for (;;) {
          if (this.i >= t.length) throw new HclSyntaxError(start, 'unterminated "/*" comment');
          const d = t.charCodeAt(this.i);
          if (d === 42 && t.charCodeAt(this.i + 1) === 47) {
            this.i += 2;
            break;
          }
          if (d === 10) this.newline(this.i);
          this.i++;
        }
      } else {
        return;
      }
    }
  }

  next(): Token {
    this.skipTrivia();
    const t = this.text;
    const pos = this.pos();
    if (this.i >= t.length) return { kind: 'eof', text: '', pos };
    const c = t.charAt(this.i);
    switch (c) {
      case '{':
      case '}':
      case '[':
      case ']':
      case '=':
      case ':':
      case ',':
        this.i++;
        return { kind: c, text: c, pos };
      case '"':
        return { kind: 'string', text: this.string(pos), pos };
      default:
        break;
    }
    if (c === '-' || (c >= '0' && c <= '9')) {
      NUMBER.lastIndex = this.i;
      const m = NUMBER.exec(t);
      if (m === null) throw new HclSyntaxError(pos, 'malformed number');
      this.i += m[0].length;
      if (this.i < t.length && NAME_PART.test(t.charAt(this.i))) throw new HclSyntaxError(pos, 'malformed number');
      return { kind: 'number', text: m[0], pos };
    }
    if (NAME_START.test(c)) {
      const start = this.i;
      while (this.i < t.length && NAME_PART.test(t.charAt(this.i))) this.i++;
      return { kind: 'name', text: t.slice(start, this.i), pos };
    }
    if (c === '<' && t.charAt(this.i + 1) === '<') throw new HclSyntaxError(pos, 'heredoc strings are not supported; use a quoted string');
    throw new HclSyntaxError(pos, 'unexpected character');
  }

  /** A double-quoted string with JSON/HCL escapes; no raw newlines or control characters. */
  private string(start: Position): string {
    const t = this.text;
    this.i++; // opening quote
    let out = '';
    let runStart = this.i;
    for (;;) {
      if (this.i >= t.length) throw new HclSyntaxError(start, 'unterminated string');
      const c = t.charCodeAt(this.i);
      if (c === 34 /* " */) {
        out += t.slice(runStart, this.i);
        this.i++;
        return out;
      }
      if (c < 0x20 || c === 0x7f) {
        throw new HclSyntaxError(this.pos(), c === 10 ? 'unterminated string (strings cannot span lines)' : 'control character in a string');
      }
      if (c !== 92 /* \ */) {
        this.i++;
        continue;
      }
      out += t.slice(runStart, this.i);
      const escapePos = this.pos();
      const e = t.charAt(this.i + 1);
      this.i += 2;
      switch (e) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u':
        case 'U': {
          const digits = e === 'u' ? 4 : 8;
          const hex = t.slice(this.i, this.i + digits);
          if (hex.length !== digits || !/^[0-9a-fA-F]+$/.test(hex)) throw new HclSyntaxError(escapePos, 'malformed unicode escape');
          const code = Number.parseInt(hex, 16);
          if (code > 0x10ffff) throw new HclSyntaxError(escapePos, 'malformed unicode escape');
          out += String.fromCodePoint(code);
          this.i += digits;
          break;
        }
        default:
          throw new HclSyntaxError(escapePos, 'unknown escape sequence');
      }
      runStart = this.i;
    }
  }
}

/** Recursive descent over the token stream; recursion depth is bounded by `limits.maxDepth`. */
class Reader {
  private readonly lexer: Lexer;
  private token: Token;

  constructor(
    text: string,
    private readonly limits: HclLimits,
  ) {
    this.lexer = new Lexer(text);
    this.token = this.lexer.next();
  }

  /** The current token's kind; a call, so the checker does not keep a narrowing across `advance`. */
  private kind(): TokenKind {
    return this.token.kind;
  }

  private advance(): Token {
    const current = this.token;
    this.token = this.lexer.next();
    return current;
  }

  private unexpected(expected: string): HclSyntaxError {
    return new HclSyntaxError(this.token.pos, `expected ${expected}, found ${KIND_NAMES[this.token.kind]}`);
  }

  private enter(depth: number, pos: Position): number {
    if (depth + 1 > this.limits.maxDepth) throw new HclSyntaxError(pos, `nesting deeper than ${this.limits.maxDepth} levels`);
    return depth + 1;
  }

  document(): Node {
    const pos = this.token.pos;
    // The root object is level 0 in both forms, so a JSON policy nests exactly as deep as its HCL twin.
    const root: Node = this.token.kind === '{' ? this.object(-1) : { kind: 'object', entries: this.body(0, 'eof'), pos };
    if (this.token.kind !== 'eof') throw this.unexpected('the end of the text');
    return root;
  }

  /** Items up to (not including) `end`. */
  private body(depth: number, end: '}' | 'eof'): Entry[] {
    const entries: Entry[] = [];
    while (this.token.kind !== end) {
      entries.push(this.item(depth));
      if (this.token.kind === ',') this.advance();
    }
    return entries;
  }

  private item(depth: number): Entry {
    const keys: Token[] = [];
    while (this.token.kind === 'name' || this.token.kind === 'string') keys.push(this.advance());
    const first = keys[0];
    if (first === undefined) throw this.unexpected('a key (a name or a quoted string)');
    let value: Node;
    if (this.token.kind === '=' || this.token.kind === ':') {
      if (keys.length > 1) throw new HclSyntaxError(this.token.pos, 'only a block ("key \\"label\\" { … }") may have more than one key');
      this.advance();
      value = this.value(depth);
    } else if (this.token.kind === '{') {
      value = this.object(depth + keys.length - 1);
    } else {
      throw this.unexpected('"=" or "{" after a key');
    }
    // Fold `a "b" "c" { … }` into `a = { "b" = { "c" = { … } } }`.
    for (let k = keys.length - 1; k >= 1; k--) {
      const key = keys[k];
      if (key === undefined) continue;
      value = { kind: 'object', entries: [{ key: key.text, keyPos: key.pos, value }], pos: key.pos };
    }
    return { key: first.text, keyPos: first.pos, value };
  }

  private value(depth: number): Node {
    const token = this.token;
    switch (token.kind) {
      case 'string':
        this.advance();
        return { kind: 'string', value: token.text, pos: token.pos };
      case 'number': {
        this.advance();
        const value = Number(token.text);
        if (!Number.isFinite(value)) throw new HclSyntaxError(token.pos, 'number out of range');
        return { kind: 'number', value, pos: token.pos };
      }
      case 'name':
        this.advance();
        if (token.text === 'true' || token.text === 'false') return { kind: 'bool', value: token.text === 'true', pos: token.pos };
        if (token.text === 'null') return { kind: 'null', pos: token.pos };
        throw new HclSyntaxError(token.pos, 'expected a value, found a bare name (quote strings)');
      case '[':
        return this.list(depth);
      case '{':
        return this.object(depth);
      default:
        throw this.unexpected('a value');
    }
  }

  private list(depth: number): Node {
    const open = this.advance();
    const inner = this.enter(depth, open.pos);
    const items: Node[] = [];
    while (this.token.kind !== ']') {
      items.push(this.value(inner));
      if (this.kind() === ',') this.advance();
      else if (this.kind() !== ']') throw this.unexpected('"," or "]"');
    }
    this.advance();
    return { kind: 'list', items, pos: open.pos };
  }

  private object(depth: number): Node {
    const open = this.token;
    if (open.kind !== '{') throw this.unexpected('"{"');
    this.advance();
    const inner = this.enter(depth, open.pos);
    const entries = this.body(inner, '}');
    this.advance();
    return { kind: 'object', entries, pos: open.pos };
  }
}

/**
 * Reads `text` (HCL subset or JSON) into a syntax tree whose root is an object. Throws
 * `HclSyntaxError` (position + problem, never the offending text) on malformed input or when
 * nesting exceeds `limits.maxDepth`. Callers bound the text length.
 */
export function readHcl(text: string, limits: HclLimits): Node {
  return new Reader(text, limits).document();
}

/** A short name for a node's kind, for error messages. */
export function kindName(node: Node): string {
  switch (node.kind) {
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'bool':
      return 'a boolean';
    case 'null':
      return 'null';
    case 'list':
      return 'a list';
    case 'object':
      return 'an object';
  }
}
