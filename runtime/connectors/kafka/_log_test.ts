import assert from "node:assert/strict";
import { type LogEntry, logLevel } from "kafkajs";
import { formatKafkaLog, kafkaLogCreator } from "./_log.ts";

function entry(
  level: logLevel,
  namespace: string,
  message: string,
  extra: Record<string, unknown> = {},
): LogEntry {
  return {
    namespace,
    level,
    label: "",
    log: { timestamp: "t", logger: "kafkajs", message, ...extra },
  };
}

Deno.test("kafkaLogCreator() forwards WARN and ERROR and drops INFO, DEBUG and routine retries", () => {
  const seen: string[] = [];
  const log = kafkaLogCreator((level, message) =>
    seen.push(`${level}:${message}`)
  )(
    logLevel.WARN,
  );
  log(entry(logLevel.ERROR, "Consumer", "Crash: boom", { groupId: "g" }));
  log(entry(logLevel.WARN, "Cluster", "slow"));
  log(entry(logLevel.INFO, "Consumer", "Starting"));
  log(entry(logLevel.DEBUG, "Connection", "Request"));
  log(entry(logLevel.ERROR, "Connection", "Response Metadata(key: 3)"));
  log(entry(logLevel.WARN, "Runner", "The group is rebalancing, re-joining"));
  log(
    entry(
      logLevel.ERROR,
      "Producer",
      "Failed to send messages: The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing",
    ),
  );
  log(entry(logLevel.ERROR, "Producer", "Failed to send messages: other"));
  assert.deepEqual(seen, [
    "error:[Consumer] Crash: boom (groupId=g)",
    "warn:[Cluster] slow",
    "error:[Producer] Failed to send messages: other",
  ]);
});

Deno.test("formatKafkaLog() keeps one line with extra fields and no stack", () => {
  const line = formatKafkaLog(
    entry(logLevel.ERROR, "Connection", "Connection error", {
      broker: "127.0.0.1:1",
      stack: "Error\n at x",
      retry: { count: 1 },
    }),
  );
  assert.equal(
    line,
    '[Connection] Connection error (broker=127.0.0.1:1, retry={"count":1})',
  );
});
