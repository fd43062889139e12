/**
 * Glob patterns for function names: `*` matches any run of characters, `?`
 * one character, `[abc]`/`[a-z]`/`[!a]` a character class; everything else
 * matches itself. Characters are UTF-16 code units.
 *
 * Matching never backtracks more than one `*` (the last one seen), so a
 * name is matched in at most (name length x pattern length) steps whatever
 * the pattern: no pattern can stall the server the way a backtracking
 * regular expression such as `^.*.*.*.*c$` can.
 * @module
 */

/** One step of a compiled pattern. */
type Token =
  | { kind: "star" }
  | { kind: "any" }
  | { kind: "char"; code: number }
  | { kind: "class"; negated: boolean; ranges: number[] };

/** A compiled glob pattern. */
export interface GlobMatcher {
  /** The pattern as given. */
  readonly pattern: string;
  /** Returns whether the whole `name` matches the pattern. */
  test(name: string): boolean;
}

/**
 * Reads a class body as ranges [from, to, from, to, ...], the way a regular
 * expression class reads it: `a-z` is a range, a `-` first or last is
 * itself, and after a range a `-` starts no new range.
 */
function classRanges(body: string, pattern: string): number[] {
  const ranges: number[] = [];
  let i = 0;
  while (i < body.length) {
    const from = body.charCodeAt(i);
    if (body[i + 1] === "-" && i + 2 < body.length) {
      const to = body.charCodeAt(i + 2);
      if (from > to) {
        throw new SyntaxError(
          `Cannot read the glob pattern as its class range '${body[i]}-${
            body[i + 2]
          }' is out of order: current value is ${JSON.stringify(pattern)}`,
        );
      }
      ranges.push(from, to);
      i += 3;
    } else {
      ranges.push(from, from);
      i += 1;
    }
  }
  return ranges;
}

function tokenize(pattern: string): Token[] {
  const tokens: Token[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i];
    if (char === "*") {
      // Consecutive stars match the same as one.
      if (tokens.at(-1)?.kind !== "star") tokens.push({ kind: "star" });
    } else if (char === "?") {
      tokens.push({ kind: "any" });
    } else if (char === "[" && pattern.indexOf("]", i + 2) !== -1) {
      // A `]` right after `[` (or `[!`) belongs to the class body.
      const close = pattern.indexOf("]", i + 2);
      let body = pattern.slice(i + 1, close);
      const negated = body.startsWith("!");
      if (negated) body = body.slice(1);
      tokens.push({
        kind: "class",
        negated,
        ranges: classRanges(body, pattern),
      });
      i = close;
    } else {
      tokens.push({ kind: "char", code: pattern.charCodeAt(i) });
    }
  }
  return tokens;
}

function matchesOne(token: Token, code: number): boolean {
  switch (token.kind) {
    case "any":
      return true;
    case "char":
      return token.code === code;
    case "class": {
      let inside = false;
      for (let r = 0; r < token.ranges.length && !inside; r += 2) {
        inside = code >= token.ranges[r] && code <= token.ranges[r + 1];
      }
      return inside !== token.negated;
    }
    case "star":
      return false;
  }
}

/**
 * Whole-name match. A `*` first matches nothing; on a mismatch the last `*`
 * takes one more character and matching resumes after it. Earlier stars
 * never need to take more: whatever a later segment can match further
 * right, the last star can reach as well.
 */
function matchTokens(tokens: Token[], name: string): boolean {
  let t = 0;
  let n = 0;
  let starToken = -1;
  let starName = 0;
  while (n < name.length) {
    const token = tokens[t];
    if (token?.kind === "star") {
      starToken = t++;
      starName = n;
    } else if (token !== undefined && matchesOne(token, name.charCodeAt(n))) {
      t++;
      n++;
    } else if (starToken >= 0) {
      t = starToken + 1;
      n = ++starName;
    } else {
      return false;
    }
  }
  while (tokens[t]?.kind === "star") t++;
  return t === tokens.length;
}

/**
 * Compiles a glob pattern.
 *
 * @throws {SyntaxError} when a class range is out of order (`[z-a]`).
 */
export function compileGlob(pattern: string): GlobMatcher {
  const tokens = tokenize(pattern);
  return { pattern, test: (name: string) => matchTokens(tokens, name) };
}

/** Returns whether `name` matches the glob `pattern` (an absent or empty pattern matches all). */
export function matchesGlob(name: string, pattern?: string | null): boolean {
  if (pattern === undefined || pattern === null || pattern === "") return true;
  return compileGlob(pattern).test(name);
}
