/**
 * Glob patterns for function names: `*` matches any run of characters, `?`
 * one character, `[abc]`/`[a-z]`/`[!a]` a character class; everything else
 * matches itself.
 * @module
 */

/** Compiles a glob pattern into an anchored regular expression. */
export function globToRegExp(pattern: string): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i];
    if (char === "*") {
      source += ".*";
    } else if (char === "?") {
      source += ".";
    } else if (char === "[") {
      const close = pattern.indexOf("]", i + 2);
      if (close === -1) {
        source += "\\[";
        continue;
      }
      let body = pattern.slice(i + 1, close);
      const negated = body.startsWith("!");
      if (negated) body = body.slice(1);
      source += `[${negated ? "^" : ""}${body.replace(/[\\\]^]/g, "\\$&")}]`;
      i = close;
    } else {
      source += char.replace(/[.*+?^${}()|[\]\\\/]/g, "\\$&");
    }
  }
  return new RegExp(`^${source}$`, "s");
}

/** Returns whether `name` matches the glob `pattern` (an absent or empty pattern matches all). */
export function matchesGlob(name: string, pattern?: string | null): boolean {
  if (pattern === undefined || pattern === null || pattern === "") return true;
  return globToRegExp(pattern).test(name);
}
