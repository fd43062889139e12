import assert from "node:assert/strict";
import { checkFilterPattern } from "./filter_pattern.ts";

Deno.test("checkFilterPattern() accepts the usual patterns", () => {
  for (
    const pattern of [
      "etl-*",
      "*etl*",
      "etl-*-prod",
      "job-?",
      "[a-c]*",
      "x[*]*y*",
    ]
  ) {
    checkFilterPattern(pattern);
  }
});

Deno.test("checkFilterPattern() refuses patterns that would backtrack for seconds", () => {
  assert.throws(
    () => checkFilterPattern("*?*?*?*?*c"),
    /has 5 '\*' wildcards \('%' in LIKE\) and the limit is 2/,
  );
  assert.throws(() => checkFilterPattern("***"), /has 3 '\*' wildcards/);
  assert.throws(
    () => checkFilterPattern("a".repeat(257)),
    /longer than 256 characters: current length is 257/,
  );
});

Deno.test("checkFilterPattern() refuses invalid classes with a 400 instead of a RegExp error", () => {
  assert.throws(
    () => checkFilterPattern("[z-a]"),
    (error: Error & { code?: string }) => {
      assert.equal(error.code, "BAD_REQUEST");
      assert.match(error.message, /not a valid glob pattern .*"\[z-a\]"/);
      return true;
    },
  );
});
