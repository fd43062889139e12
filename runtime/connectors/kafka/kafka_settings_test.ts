import assert from "node:assert/strict";
import { FsError } from "../../core/mod.ts";
import type { KafkaInputConfig, KafkaOutputConfig } from "../../core/mod.ts";
import {
  CONSUMER_SETTING_NAMES,
  consumerSettings,
  KAFKA_DEFAULTS,
  PRODUCER_SETTING_NAMES,
  producerSettings,
} from "./kafka_settings.ts";

function input(settings: Record<string, string> = {}): KafkaInputConfig {
  return {
    bootstrapServers: ["127.0.0.1:9092", "127.0.0.1:9094"],
    topic: "in",
    groupId: "g1",
    partition: null,
    clientSettings: settings,
  };
}

function output(settings: Record<string, string> = {}): KafkaOutputConfig {
  return {
    bootstrapServers: ["127.0.0.1:9092"],
    topic: "out",
    partition: 0,
    clientSettings: settings,
  };
}

function assertBadRequest(fn: () => unknown, ...parts: string[]): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof FsError, String(error));
    assert.equal(error.code, "BAD_REQUEST");
    for (const part of parts) {
      assert.ok(error.message.includes(part), error.message);
    }
    return true;
  });
}

const options = { clientId: "fs-test" };

Deno.test("consumerSettings() applies Kafka defaults: latest, read_uncommitted, bounded retries", () => {
  const s = consumerSettings(input(), options);
  assert.equal(s.fromBeginning, false);
  assert.equal(s.consumer.readUncommitted, true);
  assert.equal(s.consumer.groupId, "g1");
  assert.equal(s.consumer.sessionTimeout, KAFKA_DEFAULTS.sessionTimeoutMs);
  assert.equal(s.consumer.maxWaitTimeInMs, KAFKA_DEFAULTS.fetchMaxWaitMs);
  assert.equal(s.maxPollRecords, 1000);
  assert.deepEqual(s.kafka.brokers, ["127.0.0.1:9092", "127.0.0.1:9094"]);
  assert.equal(s.kafka.clientId, "fs-test");
  assert.equal(s.kafka.retry?.retries, KAFKA_DEFAULTS.retries);
  assert.equal(s.consumer.retry?.retries, KAFKA_DEFAULTS.retries);
  assert.equal(s.kafka.ssl, false);
  assert.equal(s.kafka.sasl, undefined);
});

Deno.test("consumerSettings() maps Kafka client settings to kafkajs options", () => {
  const s = consumerSettings(
    input({
      "auto.offset.reset": "earliest",
      "session.timeout.ms": "10000",
      "heartbeat.interval.ms": "1000",
      "max.poll.interval.ms": "20000",
      "client.id": "custom",
      "max.poll.records": "42",
      "fetch.max.bytes": "2048",
      "fetch.min.bytes": "10",
      "max.partition.fetch.bytes": "1024",
      "fetch.max.wait.ms": "50",
      "isolation.level": "read_committed",
      "request.timeout.ms": "7000",
      "socket.connection.setup.timeout.ms": "900",
      "retries": "2",
      "retry.backoff.ms": "10",
      "retry.backoff.max.ms": "20",
      "metadata.max.age.ms": "1000",
      "allow.auto.create.topics": "false",
      "client.rack": "r1",
      "enable.auto.commit": "false",
    }),
    options,
  );
  assert.equal(s.fromBeginning, true);
  assert.equal(s.consumer.sessionTimeout, 10000);
  assert.equal(s.consumer.heartbeatInterval, 1000);
  assert.equal(s.consumer.rebalanceTimeout, 20000);
  assert.equal(s.kafka.clientId, "custom");
  assert.equal(s.maxPollRecords, 42);
  assert.equal(s.consumer.maxBytes, 2048);
  assert.equal(s.consumer.minBytes, 10);
  assert.equal(s.consumer.maxBytesPerPartition, 1024);
  assert.equal(s.consumer.maxWaitTimeInMs, 50);
  assert.equal(s.consumer.readUncommitted, false);
  assert.equal(s.kafka.requestTimeout, 7000);
  assert.equal(s.kafka.connectionTimeout, 900);
  assert.deepEqual(s.kafka.retry, {
    retries: 2,
    initialRetryTime: 10,
    maxRetryTime: 20,
  });
  assert.equal(s.consumer.metadataMaxAge, 1000);
  assert.equal(s.consumer.allowAutoTopicCreation, false);
  assert.equal(s.consumer.rackId, "r1");
});

Deno.test("consumerSettings() rejects an unknown setting, naming it", () => {
  assertBadRequest(
    () => consumerSettings(input({ "linger.ms": "5" }), options),
    "'linger.ms'",
    "not supported on an input",
    "auto.offset.reset",
  );
  assertBadRequest(
    () => consumerSettings(input({ "group.instance.id": "x" }), options),
    "'group.instance.id'",
  );
});

Deno.test("consumerSettings() rejects bad values, naming the setting and value", () => {
  assertBadRequest(
    () => consumerSettings(input({ "auto.offset.reset": "none" }), options),
    "'auto.offset.reset'",
    "earliest, latest",
    '"none"',
  );
  assertBadRequest(
    () => consumerSettings(input({ "session.timeout.ms": "abc" }), options),
    "'session.timeout.ms'",
    '"abc"',
  );
  assertBadRequest(
    () => consumerSettings(input({ "max.poll.records": "0" }), options),
    "'max.poll.records'",
  );
  assertBadRequest(
    () =>
      consumerSettings(input({ "isolation.level": "serializable" }), options),
    "'isolation.level'",
  );
  assertBadRequest(
    () => consumerSettings(input({ "enable.auto.commit": "true" }), options),
    "'enable.auto.commit'",
  );
  assertBadRequest(
    () =>
      consumerSettings(input({ "heartbeat.interval.ms": "60000" }), options),
    "'heartbeat.interval.ms'",
    "session.timeout.ms",
  );
  assertBadRequest(
    () => consumerSettings(input({ "retry.backoff.ms": "5000" }), options),
    "'retry.backoff.ms'",
  );
});

Deno.test("consumerSettings() maps SASL settings and never echoes a JAAS config", () => {
  const s = consumerSettings(
    input({
      "security.protocol": "SASL_SSL",
      "sasl.mechanism": "SCRAM-SHA-512",
      "sasl.jaas.config":
        'org.apache.kafka.common.security.scram.ScramLoginModule required username="u" password="p";',
    }),
    options,
  );
  assert.equal(s.kafka.ssl, true);
  assert.deepEqual(s.kafka.sasl, {
    mechanism: "scram-sha-512",
    username: "u",
    password: "p",
  });
  assertBadRequest(
    () =>
      consumerSettings(
        input({
          "security.protocol": "SASL_PLAINTEXT",
          "sasl.jaas.config": "secret-without-fields",
        }),
        options,
      ),
    "'sasl.jaas.config'",
  );
  assert.throws(
    () =>
      consumerSettings(
        input({ "sasl.jaas.config": "secret-without-fields" }),
        options,
      ),
    (e: Error) => !e.message.includes("secret-without-fields"),
  );
  assertBadRequest(
    () => consumerSettings(input({ "sasl.username": "u" }), options),
    "'security.protocol'",
  );
});

Deno.test("producerSettings() is idempotent with acks=all and maps its settings", () => {
  const s = producerSettings(
    output({
      "acks": "all",
      "enable.idempotence": "true",
      "compression.type": "gzip",
      "request.timeout.ms": "5000",
    }),
    options,
  );
  assert.equal(s.producer.idempotent, true);
  assert.equal(s.compression, 1);
  assert.equal(s.ackTimeoutMs, 5000);
  assert.equal(s.kafka.requestTimeout, 5000);
  assert.equal(s.producer.retry?.retries, KAFKA_DEFAULTS.retries);
});

Deno.test("producerSettings() rejects settings that break idempotence or are unsupported", () => {
  assertBadRequest(
    () => producerSettings(output({ acks: "1" }), options),
    "'acks'",
  );
  assertBadRequest(
    () => producerSettings(output({ "enable.idempotence": "false" }), options),
    "'enable.idempotence'",
  );
  assertBadRequest(
    () => producerSettings(output({ "compression.type": "zstd" }), options),
    "'compression.type'",
  );
  assertBadRequest(
    () => producerSettings(output({ retries: "0" }), options),
    "'retries'",
  );
  assertBadRequest(
    () =>
      producerSettings(output({ "auto.offset.reset": "earliest" }), options),
    "'auto.offset.reset'",
    "not supported on an output",
  );
});

Deno.test("setting name lists cover the common and the specific settings", () => {
  assert.ok(CONSUMER_SETTING_NAMES.includes("auto.offset.reset"));
  assert.ok(CONSUMER_SETTING_NAMES.includes("client.id"));
  assert.ok(!CONSUMER_SETTING_NAMES.includes("acks"));
  assert.ok(PRODUCER_SETTING_NAMES.includes("acks"));
  assert.ok(PRODUCER_SETTING_NAMES.includes("client.id"));
});
