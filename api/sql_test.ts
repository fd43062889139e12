import assert from "node:assert/strict";
import { FsError } from "../runtime/core/mod.ts";
import { likeToGlob, MAX_SQL_LENGTH, parseSql } from "./sql.ts";

function rejects(sql: string, pattern: RegExp, code = "BAD_REQUEST"): void {
  assert.throws(() => parseSql(sql), (error: unknown) => {
    assert.ok(error instanceof FsError, `expected FsError for ${sql}`);
    assert.equal(error.code, code);
    assert.match(error.message, pattern);
    return true;
  });
}

Deno.test("parseSql() reads START, STOP and DROP with any keyword case", () => {
  assert.deepEqual(parseSql("START FUNCTION etl"), {
    kind: "start",
    name: "etl",
  });
  assert.deepEqual(parseSql("stop function etl"), {
    kind: "stop",
    name: "etl",
  });
  assert.deepEqual(parseSql("Drop Function etl"), {
    kind: "drop",
    name: "etl",
  });
});

Deno.test("parseSql() tolerates whitespace, newlines and one trailing semicolon", () => {
  assert.deepEqual(
    parseSql("  \n\tSTART\n  FUNCTION \t python-etl-job ;  \n"),
    {
      kind: "start",
      name: "python-etl-job",
    },
  );
  assert.deepEqual(parseSql("SHOW FUNCTIONS;"), { kind: "show" });
  assert.deepEqual(parseSql("show   functions"), { kind: "show" });
});

Deno.test("parseSql() keeps bare names with dots, digits, underscores and dashes", () => {
  assert.deepEqual(parseSql("DROP FUNCTION my.job_2-b"), {
    kind: "drop",
    name: "my.job_2-b",
  });
});

Deno.test("parseSql() unquotes backtick and double-quoted names with doubled-quote escapes", () => {
  assert.deepEqual(parseSql("START FUNCTION `my job`"), {
    kind: "start",
    name: "my job",
  });
  assert.deepEqual(parseSql('STOP FUNCTION "START"'), {
    kind: "stop",
    name: "START",
  });
  assert.deepEqual(parseSql("DROP FUNCTION `a``b`"), {
    kind: "drop",
    name: "a`b",
  });
  assert.deepEqual(parseSql('DROP FUNCTION "a""b";'), {
    kind: "drop",
    name: 'a"b',
  });
  assert.deepEqual(parseSql("DROP FUNCTION `x; DROP FUNCTION y`"), {
    kind: "drop",
    name: "x; DROP FUNCTION y",
  });
});

Deno.test("parseSql() turns SHOW FUNCTIONS LIKE into a glob pattern", () => {
  assert.deepEqual(parseSql("SHOW FUNCTIONS LIKE 'etl%'"), {
    kind: "show",
    pattern: "etl*",
  });
  assert.deepEqual(parseSql("show functions like 'job_1';"), {
    kind: "show",
    pattern: "job?1",
  });
  assert.deepEqual(parseSql("SHOW FUNCTIONS LIKE 'it''s'"), {
    kind: "show",
    pattern: "it's",
  });
  assert.deepEqual(parseSql("SHOW FUNCTIONS LIKE ''"), {
    kind: "show",
    pattern: "",
  });
});

Deno.test("likeToGlob() maps % and _, honours backslash escapes and keeps glob characters", () => {
  assert.equal(likeToGlob("%etl_"), "*etl?");
  assert.equal(likeToGlob("a\\_b\\%c\\\\d"), "a_b%c\\d");
  assert.equal(likeToGlob("etl*[ab]?"), "etl*[ab]?");
  assert.equal(likeToGlob("a\\b"), "a\\b");
});

Deno.test("parseSql() lists the supported statements for anything else", () => {
  for (
    const sql of [
      "CREATE FUNCTION x WITH ('a'='b')",
      "SELECT * FROM functions",
      "/tmp/job.sql",
      "./deploy.sql",
      "C:\\jobs\\x.sql",
      "STARTUP FUNCTION x",
      "START-FUNCTION x",
      "toString",
      "-- comment",
    ]
  ) {
    rejects(
      sql,
      /not one of the supported statements \(START FUNCTION <name>; .*SHOW FUNCTIONS/,
    );
  }
});

Deno.test("parseSql() rejects empty input with the supported statements", () => {
  rejects("", /is empty: supported statements are START FUNCTION/);
  rejects("  ;  ", /is empty/);
});

Deno.test("parseSql() names what it expected after each keyword", () => {
  rejects(
    "START",
    /FUNCTION was expected after 'START': current value is end of statement/,
  );
  rejects(
    "STOP FUNCTIONS etl",
    /FUNCTION was expected after 'STOP': current value is "FUNCTIONS"/,
  );
  rejects(
    "DROP FUNCTION",
    /function name .* was expected after 'DROP FUNCTION'/,
  );
  rejects(
    "DROP FUNCTION 'etl'",
    /function name .* current value is string "'etl'"/,
  );
  rejects("DROP FUNCTION ``", /function name after 'DROP FUNCTION' is empty/);
  rejects(
    "START FUNCTION a b",
    /should end after 'START FUNCTION a': current value is "b"/,
  );
  rejects("SHOW", /FUNCTIONS was expected after 'SHOW'/);
  rejects(
    "SHOW FUNCTION",
    /FUNCTIONS was expected after 'SHOW': current value is "FUNCTION"/,
  );
  rejects(
    "SHOW FUNCTIONS WHERE x",
    /LIKE or the end of the statement was expected/,
  );
  rejects(
    "SHOW FUNCTIONS LIKE etl",
    /pattern in single quotes .* current value is "etl"/,
  );
  rejects(
    "SHOW FUNCTIONS LIKE",
    /pattern in single quotes .* current value is end of statement/,
  );
  rejects(
    "SHOW FUNCTIONS LIKE 'a' 'b'",
    /should end after 'SHOW FUNCTIONS LIKE 'a''/,
  );
});

Deno.test("parseSql() rejects injection-like input instead of running part of it", () => {
  rejects("DROP FUNCTION a; DROP FUNCTION b", /more than one statement/);
  rejects("SHOW FUNCTIONS; DROP FUNCTION b;", /more than one statement/);
  rejects("START FUNCTION a;;", /more than one statement/);
  rejects(
    "START FUNCTION a' OR '1'='1",
    /should end after 'START FUNCTION a': current value is string "' OR '"/,
  );
  rejects(
    "STOP FUNCTION `etl",
    /` quote opened at position 14 is never closed/,
  );
  rejects(
    "SHOW FUNCTIONS LIKE 'etl",
    /' quote opened at position 20 is never closed/,
  );
  rejects(
    "START FUNCTION a/*x*/",
    /character "\/" at position 16 is not allowed here/,
  );
  rejects("DROP FUNCTION a\u0000b", /character "\\u0000" at position 15/);
  rejects("STOP FUNCTION (select 1)", /character "\(" at position 14/);
});

Deno.test("parseSql() refuses text longer than MAX_SQL_LENGTH", () => {
  rejects(
    `SHOW FUNCTIONS LIKE '${"a".repeat(MAX_SQL_LENGTH)}'`,
    /longer than/,
    "LIMIT_EXCEEDED",
  );
});
