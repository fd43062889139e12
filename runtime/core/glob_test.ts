import assert from "node:assert/strict";
import { globToRegExp, matchesGlob } from "./glob.ts";

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
});

Deno.test("globToRegExp() escapes regular expression characters", () => {
  assert.equal(globToRegExp("a.b").test("axb"), false);
  assert.equal(globToRegExp("a.b").test("a.b"), true);
  assert.equal(globToRegExp("a+(b)").test("a+(b)"), true);
  assert.equal(globToRegExp("[").test("["), true);
});
