import assert from "node:assert/strict";
import { FsError } from "../../core/mod.ts";
import type { KafkaOutputConfig } from "../../core/mod.ts";
import { transactionSettings } from "./_transaction_settings.ts";

function output(
  topic: string,
  clientSettings: Record<string, string> = {},
  servers = ["127.0.0.1:9092"],
): KafkaOutputConfig {
  return { bootstrapServers: servers, topic, partition: null, clientSettings };
}

const options = { clientId: "fs-test", transactionalId: "fs-f" };

function badRequest(pattern: RegExp): (error: unknown) => boolean {
  return (error: unknown) => {
    assert.ok(error instanceof FsError);
    assert.equal(error.code, "BAD_REQUEST");
    assert.match(error.message, pattern);
    return true;
  };
}

Deno.test("transactionSettings() names the commit group after the id and the commit topic after the first output", () => {
  const settings = transactionSettings(
    [
      output("a", { "compression.type": "gzip" }),
      output("b", {}, ["127.0.0.1:9092"]),
    ],
    { ...options, transactionTimeoutMs: 5_000 },
  );
  assert.equal(settings.commitGroup, "fs-eos.fs-f");
  assert.equal(settings.commitTopic, "a");
  assert.deepEqual(settings.compressions, [1, 0]);
  assert.equal(settings.transactionTimeoutMs, 5_000);
  assert.equal(settings.producer.kafka.clientId, "fs-test");
});

Deno.test("transactionSettings() defaults the transaction timeout to 60 s", () => {
  assert.equal(
    transactionSettings([output("a")], options).transactionTimeoutMs,
    60_000,
  );
});

Deno.test("transactionSettings() rejects no outputs, an empty id and a bad timeout", () => {
  assert.throws(
    () => transactionSettings([], options),
    badRequest(/has no outputs to write: current value is 0 outputs/),
  );
  assert.throws(
    () =>
      transactionSettings([output("a")], { ...options, transactionalId: " " }),
    badRequest(/transactional id must not be empty/),
  );
  assert.throws(
    () =>
      transactionSettings([output("a")], {
        ...options,
        transactionTimeoutMs: 0.5,
      }),
    badRequest(/transactionTimeoutMs must be an integer.*current value is 0.5/),
  );
});

Deno.test("transactionSettings() rejects outputs on several clusters", () => {
  assert.throws(
    () =>
      transactionSettings(
        [output("a"), output("b", {}, ["127.0.0.1:9093"])],
        options,
      ),
    badRequest(/outputs\[1\].*one transaction spans one cluster/),
  );
});

Deno.test("transactionSettings() rejects different client settings by name, never echoing values", () => {
  const jaas = 'x username="u" password="secret"';
  assert.throws(
    () =>
      transactionSettings(
        [
          output("a", { "retries": "3" }),
          output("b", {
            "sasl.jaas.config": jaas,
            "security.protocol": "SASL_PLAINTEXT",
          }),
        ],
        options,
      ),
    (error: unknown) => {
      badRequest(
        /current differing settings are retries, sasl.jaas.config, security.protocol$/,
      )(error);
      assert.ok(!(error as Error).message.includes("secret"));
      return true;
    },
  );
});

Deno.test("transactionSettings() rejects a bad setting of any output", () => {
  assert.throws(
    () =>
      transactionSettings(
        [output("a"), output("b", { "compression.type": "zstd" })],
        options,
      ),
    badRequest(/compression.type/),
  );
});

Deno.test("transactionSettings() retries sends from 10 ms with extra retries that keep the configured schedule behind", () => {
  const settings = transactionSettings([output("a")], options);
  assert.deepEqual(settings.producer.producer.retry, {
    retries: 5 + 4, // 10, 20, 40, 80 ms, then 160 ms >= the configured 100 ms
    initialRetryTime: 10,
    maxRetryTime: 1_000,
  });
  // Connection-level retries (InitProducerId, coordinators) stay as set.
  assert.equal(settings.producer.kafka.retry?.initialRetryTime, 100);
  const quick = transactionSettings(
    [output("a", { "retry.backoff.ms": "5", "retries": "2" })],
    options,
  );
  assert.deepEqual(quick.producer.producer.retry, {
    retries: 2,
    initialRetryTime: 5,
    maxRetryTime: 1_000,
  });
});
