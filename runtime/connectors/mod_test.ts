import assert from "node:assert/strict";
import { FsError } from "../core/mod.ts";
import {
  KafkaSink,
  KafkaSource,
  KafkaTransactionalWriter,
} from "./kafka/mod.ts";
import { openSink, openSource, openTransactionalWriter } from "./mod.ts";

const input = {
  bootstrapServers: ["127.0.0.1:9092"],
  topic: "in",
  groupId: "g",
  partition: null,
  clientSettings: { "auto.offset.reset": "earliest" },
};
const output = {
  bootstrapServers: ["127.0.0.1:9092"],
  topic: "out",
  partition: null,
  clientSettings: {},
};

Deno.test("openSource() and openSink() route Kafka configs to the Kafka connector without connecting", async () => {
  const source = openSource(input, { sourceId: 1, clientId: "fs-test" });
  const sink = openSink(output, { clientId: "fs-test" });
  assert.ok(source instanceof KafkaSource);
  assert.ok(sink instanceof KafkaSink);
  await source.close();
  await sink.close();
});

Deno.test("openSource() rejects a bad client setting with BAD_REQUEST", () => {
  assert.throws(
    () =>
      openSource(
        { ...input, clientSettings: { "auto.offset.reset": "sometimes" } },
        { sourceId: 0, clientId: "fs-test" },
      ),
    (error: unknown) =>
      error instanceof FsError && error.code === "BAD_REQUEST" &&
      error.message.includes("auto.offset.reset"),
  );
});

Deno.test("openTransactionalWriter() routes Kafka outputs to one transactional writer without connecting", async () => {
  const writer = openTransactionalWriter([output, { ...output, topic: "o2" }], {
    transactionalId: "fs-f",
    clientId: "fs-test",
    logger: () => {},
  });
  assert.ok(writer instanceof KafkaTransactionalWriter);
  await writer.close();
});

Deno.test("openTransactionalWriter() rejects a function without outputs with BAD_REQUEST", () => {
  assert.throws(
    () =>
      openTransactionalWriter([], {
        transactionalId: "fs-f",
        clientId: "fs-test",
        logger: () => {},
      }),
    (error: unknown) =>
      error instanceof FsError && error.code === "BAD_REQUEST" &&
      error.message.includes("no outputs"),
  );
});
