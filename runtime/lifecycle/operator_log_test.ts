import assert from "node:assert/strict";
import type { LogFields, LogLevel } from "../core/mod.ts";
import { operatorLog, operatorLogLevel } from "./operator_log.ts";

Deno.test("operatorLogLevel() keeps logging levels and maps streams", () => {
  assert.equal(operatorLogLevel("[f] hello", "stdout"), "info");
  assert.equal(operatorLogLevel("[f] INFO root: ready", "stderr"), "info");
  assert.equal(operatorLogLevel("[f] WARNING app: slow", "stderr"), "warn");
  assert.equal(operatorLogLevel("[f] CRITICAL app: down", "stderr"), "error");
  assert.equal(operatorLogLevel("[f] DEBUG x: y", "stderr"), "debug");
  assert.equal(
    operatorLogLevel("[f] Traceback (most recent", "stderr"),
    "warn",
  );
  assert.equal(
    operatorLogLevel("[f] ERROR looks like logging", "stdout"),
    "info",
  );
});

Deno.test("operatorLog() writes each line with the function name", () => {
  const lines: [LogLevel, string, LogFields?][] = [];
  const log = operatorLog({ log: (...args) => lines.push(args) }, "etl");
  log("[etl] ERROR root: bad", { stream: "stderr" });
  assert.deepEqual(lines, [[
    "error",
    "[etl] ERROR root: bad",
    { function: "etl", stream: "stderr" },
  ]]);
});
