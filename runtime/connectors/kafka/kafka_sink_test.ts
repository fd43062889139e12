// Needs a broker: `deno task kafka` (bash scripts/kafka.sh start).
import assert from "node:assert/strict";
import { FsError } from "../../core/mod.ts";
import type { KafkaOutputConfig, OutputRecord } from "../../core/mod.ts";
import {
  consumeAll,
  createTopic,
  kafkaBootstrap,
  uniqueTopic,
} from "../../../tests/helpers/kafka.ts";
import { KafkaSink } from "./kafka_sink.ts";

const encode = (s: string) => new TextEncoder().encode(s);
const decode = (b: Uint8Array) => new TextDecoder().decode(b);

function output(
  topic: string,
  partition: number | null,
  servers = [kafkaBootstrap()],
): KafkaOutputConfig {
  return { bootstrapServers: servers, topic, partition, clientSettings: {} };
}

function records(from: number, count: number): OutputRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    channel: 0,
    value: encode(`v${from + i}`),
    key: encode(`k${from + i}`),
    headers: [{ key: "n", value: encode(String(from + i)) }, {
      key: "empty",
      value: null,
    }],
  }));
}

Deno.test("KafkaSink.send() writes to the output's fixed partition in order with keys and headers", async () => {
  const topic = uniqueTopic("sink-fixed");
  await createTopic(topic, { partitions: 3 });
  const sink = new KafkaSink(output(topic, 2), { clientId: "fs-test" });
  try {
    await sink.connect();
    await sink.send(records(0, 100));
    await sink.send(records(100, 50));
    await sink.send([]);
  } finally {
    await sink.close();
  }
  const read = await consumeAll(topic, { count: 150, timeoutMs: 15_000 });
  assert.equal(read.length, 150);
  assert.ok(read.every((r) => r.partition === 2));
  assert.deepEqual(
    read.map((r) => decode(r.value)),
    records(0, 150).map((r) => decode(r.value)),
  );
  assert.deepEqual(
    read.map((r) => r.offset),
    Array.from({ length: 150 }, (_, i) => BigInt(i)),
  );
  assert.equal(decode(read[7].key!), "k7");
  assert.equal(decode(read[7].headers.n!), "7");
  // kafkajs cannot write a header without value: it becomes an empty one.
  assert.equal(read[7].headers.empty?.byteLength, 0);
  const more = await consumeAll(topic, { count: 151, timeoutMs: 1_000 });
  assert.equal(more.length, 150, "nothing was written twice");
});

Deno.test("KafkaSink.send() keeps call order when calls overlap", async () => {
  const topic = uniqueTopic("sink-order");
  await createTopic(topic, { partitions: 1 });
  const sink = new KafkaSink(output(topic, null), { clientId: "fs-test" });
  try {
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => sink.send(records(i * 10, 10))),
    );
  } finally {
    await sink.close();
  }
  const read = await consumeAll(topic, { count: 100, timeoutMs: 15_000 });
  assert.deepEqual(
    read.map((r) => decode(r.value)),
    records(0, 100).map((r) => decode(r.value)),
  );
});

Deno.test("KafkaSink.send() fails with UNAVAILABLE within a bounded time when no broker listens", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const address = `127.0.0.1:${listener.addr.port}`;
  listener.close();
  const sink = new KafkaSink(output("t", 0, [address]), {
    clientId: "fs-test",
    logger: () => {},
  });
  const started = performance.now();
  await assert.rejects(() => sink.send(records(0, 1)), (error: unknown) => {
    assert.ok(error instanceof FsError);
    assert.equal(error.code, "UNAVAILABLE");
    assert.ok(error.message.includes(address), error.message);
    return true;
  });
  const took = performance.now() - started;
  assert.ok(took < 20_000, `took ${took}ms`);
  await sink.close();
  await assert.rejects(() => sink.send(records(0, 1)), /sink is closed/);
});
