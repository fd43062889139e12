import assert from "node:assert/strict";
import process from "node:process";
import * as grpc from "@grpc/grpc-js";
import type { LogFields, LogLevel } from "../runtime/core/mod.ts";
import { grpcLogSink, routeLibraryLogs } from "./library_logs.ts";

function recorder() {
  const lines: [LogLevel, string, LogFields | undefined][] = [];
  return {
    lines,
    logger: {
      log: (level: LogLevel, message: string, fields?: LogFields) =>
        lines.push([level, message, fields]),
    },
  };
}

Deno.test("grpcLogSink() formats grpc-js arguments into one line per call with component grpc", () => {
  const { lines, logger } = recorder();
  const sink = grpcLogSink(logger);
  sink.error!("E %s failed: %d", "bind", 98);
  sink.info!("I", "started");
  assert.deepEqual(lines, [
    ["error", "E bind failed: 98", { component: "grpc" }],
    ["info", "I started", { component: "grpc" }],
  ]);
});

Deno.test("routeLibraryLogs() sends grpc-js error lines and process warnings through the logger", async () => {
  const { lines, logger } = recorder();
  const previous = process.listeners("warning");
  routeLibraryLogs(logger);
  try {
    grpc.experimental.log(grpc.logVerbosity.ERROR, "something broke");
    process.emitWarning("a library complains", "LibraryWarning");
    // Warnings are emitted on the next tick.
    await new Promise((resolve) => setTimeout(resolve, 10));
  } finally {
    grpc.setLogger(console);
    process.removeAllListeners("warning");
    for (const listener of previous) process.on("warning", listener);
  }
  assert.deepEqual(lines, [
    ["error", "something broke", { component: "grpc" }],
    ["warn", "LibraryWarning: a library complains", { component: "process" }],
  ]);
});
