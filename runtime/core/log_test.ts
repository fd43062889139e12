import assert from "node:assert/strict";
import { createLogger, type LogLevel } from "./log.ts";

function capture(format: "text" | "json") {
  const lines: [LogLevel, string][] = [];
  const logger = createLogger({
    format,
    write: (level, line) => lines.push([level, line]),
  });
  return { logger, lines };
}

Deno.test("createLogger() writes text lines with level and fields", () => {
  const { logger, lines } = capture("text");
  logger.log("info", "function created", { function: "etl" });
  assert.equal(lines.length, 1);
  assert.match(lines[0][1], /INFO function created function="etl"$/);
});

Deno.test("createLogger() writes one JSON object per line in json format", () => {
  const { logger, lines } = capture("json");
  logger.log("error", "boom", { function: "etl", restarts: 2 });
  const parsed = JSON.parse(lines[0][1]);
  assert.equal(parsed.level, "error");
  assert.equal(parsed.message, "boom");
  assert.equal(parsed.function, "etl");
  assert.equal(parsed.restarts, 2);
});
