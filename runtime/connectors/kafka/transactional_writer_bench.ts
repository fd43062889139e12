/**
 * Cost of exactly-once outputs against the broker of `deno task kafka`:
 * `deno bench -A runtime/connectors/kafka/transactional_writer_bench.ts`.
 * Sends of 500 records (100-byte values, keyed, 6 partitions) through the
 * idempotent {@link KafkaSink} and inside a transaction, one commit with and
 * without records, and a checkpoint cycle (commit, then the next send).
 * Records per second = 500 / time per send.
 * @module
 */
import type { KafkaOutputConfig, OutputRecord } from "../../core/mod.ts";
import {
  createTopic,
  kafkaBootstrap,
  uniqueTopic,
} from "../../../tests/helpers/kafka.ts";
import { KafkaSink } from "./kafka_sink.ts";
import { KafkaTransactionalWriter } from "./transactional_writer.ts";

const BATCH = 500;

function batch(): OutputRecord[] {
  const value = new Uint8Array(100).fill(120);
  return Array.from({ length: BATCH }, () => ({
    channel: 0,
    key: new TextEncoder().encode(`k${Math.floor(Math.random() * 1e6)}`),
    value,
  }));
}

async function topicOutput(prefix: string): Promise<KafkaOutputConfig> {
  const topic = uniqueTopic(prefix);
  await createTopic(topic, { partitions: 6 });
  return {
    bootstrapServers: [kafkaBootstrap()],
    topic,
    partition: null,
    clientSettings: {},
  };
}

async function openWriter(prefix: string): Promise<KafkaTransactionalWriter> {
  const output = await topicOutput(prefix);
  const writer = new KafkaTransactionalWriter([output], {
    transactionalId: `fs-bench-${output.topic}`,
    clientId: "fs-bench",
    logger: () => {},
  });
  await writer.open();
  return writer;
}

const records = batch();
const sink = new KafkaSink(await topicOutput("bench-sink"), {
  clientId: "fs-bench",
});
await sink.connect();
const inOneTxn = await openWriter("bench-txn-send");
const committing = await openWriter("bench-txn-commit");
const cycling = await openWriter("bench-txn-cycle");
let token = 0;

globalThis.addEventListener("unload", () => {
  // Best effort: the bench process ends right after.
  void Promise.all([
    sink.close(),
    inOneTxn.close(),
    committing.close(),
    cycling.close(),
  ]);
});

Deno.bench({
  name: `KafkaSink.send(${BATCH} records), idempotent`,
  group: "send",
  n: 100,
  warmup: 5,
  baseline: true,
  async fn() {
    await sink.send(records);
  },
});

Deno.bench({
  name:
    `KafkaTransactionalWriter.send(${BATCH} records) in an open transaction`,
  group: "send",
  n: 100,
  warmup: 5,
  async fn() {
    await inOneTxn.send(records);
  },
});

Deno.bench({
  name: "KafkaTransactionalWriter.commit(), nothing sent",
  group: "commit",
  n: 100,
  warmup: 5,
  baseline: true,
  async fn() {
    await committing.commit(`t${token++}`);
  },
});

Deno.bench({
  name:
    `KafkaTransactionalWriter.commit() after send(${BATCH} records), commit only timed`,
  group: "commit",
  n: 100,
  warmup: 5,
  async fn(b) {
    await committing.send(records);
    b.start();
    await committing.commit(`t${token++}`);
    b.end();
  },
});

Deno.bench({
  name:
    `checkpoint cycle: commit(), then the first send(${BATCH} records) of the next transaction`,
  group: "cycle",
  n: 100,
  warmup: 5,
  async fn(b) {
    await cycling.send(records);
    b.start();
    await cycling.commit(`t${token++}`);
    await cycling.send(records);
    b.end();
  },
});

const CHECKPOINT_SENDS = 20; // 10,000 records between two checkpoints

Deno.bench({
  name: `KafkaSink: ${CHECKPOINT_SENDS} sends of ${BATCH} records`,
  group: "10k records",
  n: 20,
  warmup: 2,
  baseline: true,
  async fn() {
    for (let i = 0; i < CHECKPOINT_SENDS; i++) await sink.send(records);
  },
});

Deno.bench({
  name:
    `KafkaTransactionalWriter: ${CHECKPOINT_SENDS} sends of ${BATCH} records, then commit()`,
  group: "10k records",
  n: 20,
  warmup: 2,
  async fn() {
    for (let i = 0; i < CHECKPOINT_SENDS; i++) await cycling.send(records);
    await cycling.commit(`t${token++}`);
  },
});
