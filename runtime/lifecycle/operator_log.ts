/**
 * Operator output in the server log: what an operator prints or logs with
 * Python's `logging`, tagged with the function name.
 * @module
 */
import type { Logger, LogLevel } from "../core/mod.ts";

const PYTHON_LEVELS: Record<string, LogLevel> = {
  DEBUG: "debug",
  INFO: "info",
  WARNING: "warn",
  ERROR: "error",
  CRITICAL: "error",
};

/**
 * The server log level of one operator line (`[fn] text`): `logging` lines
 * (`LEVEL logger: message`) keep their level, other stderr lines are
 * warnings and stdout lines info.
 */
export function operatorLogLevel(
  line: string,
  stream: "stdout" | "stderr",
): LogLevel {
  const text = line.replace(/^\[[^\]]*\] /, "");
  const word = /^([A-Z]+) /.exec(text)?.[1];
  const level = word === undefined ? undefined : PYTHON_LEVELS[word];
  if (stream === "stderr" && level !== undefined) return level;
  return stream === "stderr" ? "warn" : "info";
}

/** Returns the isolate's `onLog` callback writing to the server log. */
export function operatorLog(
  logger: Logger,
  functionName: string,
): (line: string, info: { stream: "stdout" | "stderr" }) => void {
  return (line, info) =>
    logger.log(operatorLogLevel(line, info.stream), line, {
      function: functionName,
      stream: info.stream,
    });
}
