import assert from "node:assert/strict";
import { compileGlob, matchesGlob } from "./glob.ts";

Deno.test("matchesGlob() matches exact names and wildcards", () => {
  assert.equal(matchesGlob("python-etl-job", "python-etl-job"), true);
  assert.equal(matchesGlob("python-etl-job", "python-*"), true);
  assert.equal(matchesGlob("python-etl-job", "*-job"), true);
  assert.equal(matchesGlob("python-etl-job", "python-etl-jo?"), true);
  assert.equal(matchesGlob("python-etl-job", "python"), false);
  assert.equal(matchesGlob("other", "python-*"), false);
});

Deno.test("matchesGlob() treats an empty or absent pattern as match-all", () => {
  assert.equal(matchesGlob("a", ""), true);
  assert.equal(matchesGlob("a", undefined), true);
  assert.equal(matchesGlob("a", null), true);
});

Deno.test("matchesGlob() supports character classes and negation", () => {
  assert.equal(matchesGlob("job1", "job[0-9]"), true);
  assert.equal(matchesGlob("jobx", "job[0-9]"), false);
  assert.equal(matchesGlob("jobx", "job[!0-9]"), true);
  assert.equal(matchesGlob("]", "[]]"), true);
  assert.equal(matchesGlob("-", "[a-]"), true);
  assert.equal(matchesGlob("b", "[a-]"), false);
  assert.equal(matchesGlob("\n", "[!]"), true);
});

Deno.test("compileGlob() treats regular expression characters as themselves", () => {
  assert.equal(compileGlob("a.b").test("axb"), false);
  assert.equal(compileGlob("a.b").test("a.b"), true);
  assert.equal(compileGlob("a+(b)").test("a+(b)"), true);
  assert.equal(compileGlob("[").test("["), true);
  assert.equal(compileGlob("[^a]").test("^"), true);
  assert.equal(compileGlob("[\\]").test("\\"), true);
  assert.equal(compileGlob("a*b*").test("a\nb\n"), true);
});

Deno.test("compileGlob() refuses a class range out of order", () => {
  assert.throws(
    () => compileGlob("[z-a]"),
    /class range 'z-a' is out of order/,
  );
  assert.throws(() => compileGlob("x[a--]"), SyntaxError);
});

/** The former implementation (a regular expression), kept as the reference. */
function referenceRegExp(pattern: string): RegExp {
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

Deno.test("compileGlob() agrees with the former regular expression on 100,000 seeded random patterns and names", () => {
  let seed = 7;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const alphabet = "ab-]![*?^\\\nz";
  const text = (max: number, chars: string) =>
    Array.from({ length: random(max) }, () => chars[random(chars.length)])
      .join("");
  let checked = 0;
  for (let round = 0; round < 100_000; round++) {
    const pattern = text(9, alphabet);
    const name = text(8, "ab-]![^\\\nz");
    let expected: boolean | "throws";
    try {
      expected = referenceRegExp(pattern).test(name);
    } catch {
      expected = "throws";
    }
    let actual: boolean | "throws";
    try {
      actual = compileGlob(pattern).test(name);
    } catch (error) {
      assert.ok(error instanceof SyntaxError);
      actual = "throws";
    }
    assert.equal(actual, expected, `${JSON.stringify([pattern, name])}`);
    if (expected === true) checked++;
  }
  assert.ok(checked > 1000, `only ${checked} matches: the test is too weak`);
});

Deno.test("compileGlob() matches a pathological pattern fast (the regular expression took seconds)", () => {
  const name = "a".repeat(128);
  const pattern = "*?".repeat(100) + "*c";
  const started = performance.now();
  assert.equal(compileGlob(pattern).test(name), false);
  assert.equal(compileGlob("*a".repeat(150) + "*b").test(name), false);
  assert.equal(compileGlob("*a".repeat(64) + "*").test(name), true);
  const elapsed = performance.now() - started;
  assert.ok(elapsed < 100, `took ${elapsed} ms`);
  // The same shape, far smaller, already takes the regular expression long.
  const regexStarted = performance.now();
  referenceRegExp("*?*?*?*?*c").test("a".repeat(64));
  const regexElapsed = performance.now() - regexStarted;
  assert.ok(
    regexElapsed > elapsed,
    `the reference took ${regexElapsed} ms, the matcher ${elapsed} ms`,
  );
});
