/**
 * Routes kafkajs logs (WARN and above) to one callback, dropping routine
 * messages that kafkajs logs at ERROR/WARN although it retries them itself or
 * the failure surfaces anyway as an error thrown to the caller.
 * @module
 */
import { type logCreator, type LogEntry, logLevel } from "kafkajs";

/** Receives one kafkajs log line of level WARN or ERROR. */
export type KafkaLogFn = (level: "error" | "warn", message: string) => void;

/** The kafkajs log level the connectors use: WARN and above. */
export const kafkaLogLevel: logLevel = logLevel.WARN;

const ROUTINE: { namespace: string; prefix: string }[] = [
  // Every protocol error response, even retriable ones such as "coordinator
  // is loading"; a request that finally fails is thrown to the caller.
  { namespace: "Connection", prefix: "Response " },
  // Each failed connection attempt; kafkajs retries it, and the final failure
  // is thrown (or crashes the consumer, which is logged).
  { namespace: "Connection", prefix: "Connection error" },
  { namespace: "BrokerPool", prefix: "Failed to connect to seed broker" },
  // Outputs bound their retries on purpose so an outage fails instead of hanging.
  { namespace: "Producer", prefix: "Limiting retries for the idempotent" },
  // The first send of a transaction while the previous commit completes; it
  // clears within milliseconds and kafkajs retries it.
  {
    namespace: "Producer",
    prefix:
      "Failed to send messages: The producer attempted to update a transaction while another concurrent operation",
  },
  // A normal group rebalance.
  { namespace: "Runner", prefix: "The group is rebalancing" },
];

const SKIPPED_FIELDS = new Set(["timestamp", "logger", "message", "stack"]);

/** Writes a line to stderr with a "[kafka]" prefix. */
export const defaultKafkaLog: KafkaLogFn = (level, message) => {
  console.error(`[kafka] ${level.toUpperCase()} ${message}`);
};

/** Formats a kafkajs log entry as one line: "[Namespace] message (k=v, ...)". */
export function formatKafkaLog(entry: LogEntry): string {
  const fields: string[] = [];
  for (const [key, value] of Object.entries(entry.log)) {
    if (SKIPPED_FIELDS.has(key) || value === undefined) continue;
    const text = typeof value === "string" ? value : JSON.stringify(value);
    fields.push(`${key}=${text}`);
  }
  const extra = fields.length > 0 ? ` (${fields.join(", ")})` : "";
  const where = entry.namespace ? `[${entry.namespace}] ` : "";
  const line = `${where}${entry.log.message}${extra}`;
  return line.length > 600 ? `${line.slice(0, 597)}...` : line;
}

/** Returns whether kafkajs logs this entry although nothing is wrong yet. */
export function isRoutineKafkaLog(entry: LogEntry): boolean {
  return ROUTINE.some((r) =>
    entry.namespace === r.namespace && entry.log.message.startsWith(r.prefix)
  );
}

/** Builds the kafkajs `logCreator` option that forwards to `log`. */
export function kafkaLogCreator(log: KafkaLogFn = defaultKafkaLog): logCreator {
  return () => (entry: LogEntry) => {
    if (entry.level > logLevel.WARN || isRoutineKafkaLog(entry)) return;
    log(
      entry.level === logLevel.ERROR ? "error" : "warn",
      formatKafkaLog(entry),
    );
  };
}
