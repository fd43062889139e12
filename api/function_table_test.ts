import assert from "node:assert/strict";
import {
  encodeFunctionRows,
  formatFunctionTable,
  toFunctionRows,
} from "./function_table.ts";

Deno.test("toFunctionRows() uses wire field names and adds last_error only when set", () => {
  const rows = toFunctionRows([
    { name: "a", taskType: "python", status: "RUNNING" },
    { name: "b", taskType: "python", status: "FAILED", lastError: "boom" },
  ]);
  assert.deepEqual(rows, [
    { name: "a", task_type: "python", status: "RUNNING" },
    { name: "b", task_type: "python", status: "FAILED", last_error: "boom" },
  ]);
  assert.deepEqual(
    JSON.parse(new TextDecoder().decode(encodeFunctionRows(rows))),
    rows,
  );
});

Deno.test("formatFunctionTable() aligns columns and counts rows", () => {
  const text = formatFunctionTable([
    { name: "etl", task_type: "python", status: "RUNNING" },
    { name: "long-name", task_type: "python", status: "STOPPED" },
  ]);
  assert.equal(
    text,
    [
      "NAME       TASK TYPE  STATUS",
      "etl        python     RUNNING",
      "long-name  python     STOPPED",
      "(2 functions)",
    ].join("\n"),
  );
});

Deno.test("formatFunctionTable() shows a flattened, shortened LAST ERROR column when needed", () => {
  const text = formatFunctionTable(
    [{
      name: "f",
      task_type: "python",
      status: "FAILED",
      last_error: `Traceback\n  ${"x".repeat(200)}`,
    }],
    "f*",
  );
  const lines = text.split("\n");
  assert.match(lines[0], /LAST ERROR$/);
  assert.match(lines[1], /FAILED {2}Traceback x+\.\.\.$/);
  assert.ok(lines[1].length < 120);
  assert.equal(lines[2], "(1 function matching 'f*')");
});

Deno.test("formatFunctionTable() says so when nothing matches", () => {
  assert.equal(formatFunctionTable([]), "No functions");
  assert.equal(formatFunctionTable([], "x*"), "No functions matching 'x*'");
});
