/**
 * The server's log: one line per event, human-readable by default or JSON.
 * @module
 */

/** Severity of a log line. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** Extra fields of a log line, e.g. `{ function: "etl" }`. */
export type LogFields = Record<string, string | number | boolean | undefined>;

/** Writes log lines; every layer receives one instead of calling console. */
export interface Logger {
  /** Writes one line at a level with optional fields. */
  log(level: LogLevel, message: string, fields?: LogFields): void;
}

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  /**
   * Output format.
   * @default "text"
   */
  format?: "text" | "json";
  /** Where lines go. @default console.error for warn/error, console.log otherwise */
  write?: (level: LogLevel, line: string) => void;
}

function defaultWrite(level: LogLevel, line: string): void {
  if (level === "warn" || level === "error") console.error(line);
  else console.log(line);
}

/** Creates a logger writing text (`time LEVEL message key=value`) or JSON lines. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const format = options.format ?? "text";
  const write = options.write ?? defaultWrite;
  return {
    log(level, message, fields = {}) {
      const time = new Date().toISOString();
      if (format === "json") {
        write(level, JSON.stringify({ time, level, message, ...fields }));
        return;
      }
      const extra = Object.entries(fields)
        .filter(([, value]) => value !== undefined)
        .map(([key, value]) => ` ${key}=${JSON.stringify(value)}`)
        .join("");
      write(level, `${time} ${level.toUpperCase()} ${message}${extra}`);
    },
  };
}

/** A logger that drops everything (for tests). */
export const silentLogger: Logger = { log() {} };
