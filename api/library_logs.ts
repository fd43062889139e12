/**
 * Lines that libraries print on their own, routed into the server logger so
 * that `--log-format json` covers them too: grpc-js's log (errors by
 * default, more with GRPC_VERBOSITY) and Node-style process warnings (e.g.
 * kafkajs's TimeoutNegativeWarning), which would otherwise go to stderr as
 * plain text.
 * @module
 */
import process from "node:process";
import { format } from "node:util";
import * as grpc from "@grpc/grpc-js";
import type { Logger } from "../runtime/core/mod.ts";

/** A console-like sink for grpc-js that writes through `logger` with `component: "grpc"`. */
export function grpcLogSink(logger: Logger): Partial<Console> {
  const fields = { component: "grpc" };
  return {
    error: (...args: unknown[]) => logger.log("error", format(...args), fields),
    info: (...args: unknown[]) => logger.log("info", format(...args), fields),
    debug: (...args: unknown[]) => logger.log("debug", format(...args), fields),
  };
}

/**
 * Sends grpc-js's log lines and process warnings (process-wide) to
 * `logger`, replacing the default warning printer.
 */
export function routeLibraryLogs(logger: Logger): void {
  grpc.setLogger(grpcLogSink(logger));
  process.removeAllListeners("warning");
  process.on("warning", (warning: Error) => {
    logger.log("warn", `${warning.name}: ${warning.message}`, {
      component: "process",
    });
  });
}
