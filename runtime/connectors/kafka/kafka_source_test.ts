// Needs a broker: `deno task kafka` (bash scripts/kafka.sh start).
import assert from "node:assert/strict";
import { FsError } from "../../core/mod.ts";
import type { InputRecord, KafkaInputConfig } from "../../core/mod.ts";
import {
  createTopic,
  kafkaBootstrap,
  produce,
  uniqueTopic,
} from "../../../tests/helpers/kafka.ts";
import { Kafka } from "kafkajs";
import { KafkaSource, type KafkaSourceOptions } from "./kafka_source.ts";

const text = new TextDecoder();

function input(
  topic: string,
  options: {
    partition?: number;
    group?: string;
    settings?: Record<string, string>;
  } = {},
): KafkaInputConfig {
  return {
    bootstrapServers: [kafkaBootstrap()],
    topic,
    groupId: options.group ?? `g-${topic}`,
    partition: options.partition ?? null,
    clientSettings: {
      "auto.offset.reset": "earliest",
      "fetch.max.wait.ms": "50",
      ...options.settings,
    },
  };
}

function source(
  config: KafkaInputConfig,
  options: Partial<KafkaSourceOptions> = {},
): KafkaSource {
  return new KafkaSource(config, {
    sourceId: 0,
    clientId: "fs-test",
    ...options,
  });
}

/** Polls until `count` records arrived or `timeoutMs` passed. */
async function readRecords(
  reader: KafkaSource,
  count: number,
  timeoutMs = 15_000,
): Promise<InputRecord[]> {
  const records: InputRecord[] = [];
  const deadline = Date.now() + timeoutMs;
  while (records.length < count && Date.now() < deadline) {
    records.push(
      ...await reader.poll({
        maxRecords: count - records.length,
        maxWaitMs: 200,
      }),
    );
  }
  return records;
}

/** Asserts no further record arrives within `ms`. */
async function assertNoMore(reader: KafkaSource, ms = 500): Promise<void> {
  const extra = await readRecords(reader, 1, ms);
  assert.deepEqual(extra.map((r) => `${r.partition}@${r.offset}`), []);
}

function offsetsByPartition(records: InputRecord[]): Map<number, bigint[]> {
  const map = new Map<number, bigint[]>();
  for (const r of records) {
    const list = map.get(r.partition) ?? [];
    list.push(r.offset);
    map.set(r.partition, list);
  }
  return map;
}

function range(n: number, from = 0): bigint[] {
  return Array.from({ length: n }, (_, i) => BigInt(from + i));
}

Deno.test("KafkaSource in group mode reads every record with key, headers and timestamp", async () => {
  const topic = uniqueTopic("src-group");
  await createTopic(topic, { partitions: 3 });
  const before = Date.now();
  await produce(
    topic,
    Array.from({ length: 30 }, (_, i) => ({
      value: `v${i}`,
      key: `k${i}`,
      headers: { trace: `t${i}`, bin: new Uint8Array([i, 255]) },
      partition: i % 3,
    })),
  );
  const reader = source(input(topic), { sourceId: 7 });
  try {
    await reader.start([]);
    assert.deepEqual(reader.assignedPartitions(), [0, 1, 2]);
    const records = await readRecords(reader, 30);
    assert.equal(records.length, 30);
    const byValue = new Map(records.map((r) => [text.decode(r.value), r]));
    for (let i = 0; i < 30; i++) {
      const r = byValue.get(`v${i}`);
      assert.ok(r, `v${i} missing`);
      assert.equal(r.sourceId, 7);
      assert.equal(r.topic, topic);
      assert.equal(r.partition, i % 3);
      assert.equal(r.offset, BigInt(Math.floor(i / 3)));
      assert.equal(text.decode(r.key!), `k${i}`);
      assert.deepEqual(
        r.headers.map((h) => [h.key, [...h.value!]]),
        [["trace", [...new TextEncoder().encode(`t${i}`)]], ["bin", [i, 255]]],
      );
      assert.ok(r.timestamp >= before - 1000 && r.timestamp <= Date.now());
    }
    for (const offsets of offsetsByPartition(records).values()) {
      assert.deepEqual(offsets, range(10), "in offset order per partition");
    }
    await assertNoMore(reader);

    // A poll returns at once when records are buffered, whatever its wait.
    await produce(topic, [{ value: "late", partition: 0 }]);
    await new Promise((r) => setTimeout(r, 1_000)); // fetched in the background
    const started = performance.now();
    const late = await reader.poll({ maxWaitMs: 10_000 });
    const took = performance.now() - started;
    assert.deepEqual(late.map((r) => text.decode(r.value)), ["late"]);
    assert.ok(took < 50, `poll took ${took}ms with a record buffered`);
  } finally {
    await reader.close();
  }
});

Deno.test("KafkaSource with a fixed partition reads only that partition", async () => {
  const topic = uniqueTopic("src-fixed");
  await createTopic(topic, { partitions: 3 });
  await produce(
    topic,
    Array.from(
      { length: 30 },
      (_, i) => ({ value: `v${i}`, partition: i % 3 }),
    ),
  );
  const reader = source(input(topic, { partition: 1 }));
  try {
    await reader.start([]);
    assert.deepEqual(reader.assignedPartitions(), [1]);
    const records = await readRecords(reader, 10);
    assert.deepEqual(records.map((r) => r.partition), Array(10).fill(1));
    assert.deepEqual(records.map((r) => r.offset), range(10));
    assert.deepEqual(
      records.map((r) => text.decode(r.value)),
      range(10).map((o) => `v${Number(o) * 3 + 1}`),
    );
    await assertNoMore(reader);
  } finally {
    await reader.close();
  }
});

Deno.test("KafkaSource.start(positions) resumes at the stored offset, ignoring other topics", async () => {
  const topic = uniqueTopic("src-resume");
  await createTopic(topic, { partitions: 1 });
  await produce(
    topic,
    Array.from({ length: 10 }, (_, i) => ({ value: `v${i}` })),
  );
  const reader = source(input(topic));
  try {
    await reader.start([
      { topic, partition: 0, nextOffset: 6n },
      { topic: "another-topic", partition: 0, nextOffset: 1n },
    ]);
    const records = await readRecords(reader, 4);
    assert.deepEqual(records.map((r) => r.offset), range(4, 6));
    await assertNoMore(reader);
  } finally {
    await reader.close();
  }
});

Deno.test("KafkaSource.commit() stores the group offset that a new reader starts from", async () => {
  const topic = uniqueTopic("src-commit");
  await createTopic(topic, { partitions: 1 });
  await produce(
    topic,
    Array.from({ length: 10 }, (_, i) => ({ value: `v${i}` })),
  );
  const first = source(input(topic));
  try {
    await first.start([]);
    assert.equal((await readRecords(first, 10)).length, 10);
    await first.commit([{ topic, partition: 0, nextOffset: 4n }]);
  } finally {
    await first.close();
  }
  const second = source(input(topic));
  try {
    await second.start([]);
    const records = await readRecords(second, 6);
    assert.deepEqual(records.map((r) => r.offset), range(6, 4));
    await assertNoMore(second);
  } finally {
    await second.close();
  }
});

Deno.test("KafkaSource waits on a full buffer and goes on without losing or duplicating records", async () => {
  const topic = uniqueTopic("src-pause");
  await createTopic(topic, { partitions: 2 });
  const total = 5_000;
  await produce(
    topic,
    Array.from(
      { length: total },
      (_, i) => ({ value: `v${i}`, partition: i % 2 }),
    ),
  );
  const reader = source(input(topic), { bufferRecords: 100 });
  try {
    await reader.start([]);
    const records: InputRecord[] = [];
    const deadline = Date.now() + 60_000;
    for (
      let round = 0;
      records.length < total && Date.now() < deadline;
      round++
    ) {
      if (round % 10 === 0) {
        // Slow down now and then so the buffer fills up and the fetch loop
        // waits; a poll then never gets more than the buffer holds.
        await new Promise((r) => setTimeout(r, 30));
        const batch = await reader.poll({ maxRecords: 400, maxWaitMs: 200 });
        assert.ok(batch.length <= 100, `${batch.length} records buffered`);
        records.push(...batch);
        continue;
      }
      records.push(...await reader.poll({ maxRecords: 37, maxWaitMs: 200 }));
    }
    assert.equal(records.length, total);
    const byPartition = offsetsByPartition(records);
    assert.deepEqual(byPartition.get(0), range(total / 2));
    assert.deepEqual(byPartition.get(1), range(total / 2));
    await assertNoMore(reader);
  } finally {
    await reader.close();
  }
});

async function describeGroup(
  groupId: string,
): Promise<{ state: string; members: number }> {
  const admin = new Kafka({ brokers: [kafkaBootstrap()], logLevel: 0 })
    .admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([groupId]);
    return { state: groups[0].state, members: groups[0].members.length };
  } finally {
    await admin.disconnect();
  }
}

Deno.test("KafkaSource stays in its group while a full buffer waits longer than the session timeout", async () => {
  const topic = uniqueTopic("src-stall");
  await createTopic(topic, { partitions: 1 });
  await produce(
    topic,
    Array.from({ length: 300 }, (_, i) => ({ value: `v${i}` })),
  );
  const config = input(topic, {
    settings: { "session.timeout.ms": "6000", "heartbeat.interval.ms": "500" },
  });
  const reader = source(config, { bufferRecords: 50 });
  try {
    await reader.start([]);
    const records = await readRecords(reader, 10);
    // Nobody polls for longer than the session timeout: the batch handler
    // waits for space and must keep heartbeating meanwhile.
    await new Promise((r) => setTimeout(r, 8_000));
    assert.deepEqual(await describeGroup(config.groupId), {
      state: "Stable",
      members: 1,
    });
    records.push(...await readRecords(reader, 290));
    assert.deepEqual(records.map((r) => r.offset), range(300));
    await assertNoMore(reader);
  } finally {
    await reader.close();
  }
});

Deno.test("KafkaSource.close() returns promptly while a full buffer waits for polls", async () => {
  const topic = uniqueTopic("src-close-full");
  await createTopic(topic, { partitions: 1 });
  await produce(
    topic,
    Array.from({ length: 100 }, (_, i) => ({ value: `v${i}` })),
  );
  const reader = source(input(topic), { bufferRecords: 10 });
  await reader.start([]);
  assert.equal((await readRecords(reader, 5)).length, 5);
  await new Promise((r) => setTimeout(r, 200)); // the buffer fills up again
  const started = performance.now();
  await reader.close();
  const took = performance.now() - started;
  assert.ok(took < 3_000, `close took ${took}ms`);
});

Deno.test("KafkaSource keeps its position when another member joins the group", async () => {
  const topic = uniqueTopic("src-rebalance");
  await createTopic(topic, { partitions: 2 });
  await produce(
    topic,
    Array.from(
      { length: 400 },
      (_, i) => ({ value: `v${i}`, partition: i % 2 }),
    ),
  );
  const group = `g-${topic}`;
  const first = source(input(topic, { partition: 0, group }), {
    bufferRecords: 20,
  });
  const second = source(input(topic, { partition: 1, group }));
  try {
    await first.start([]);
    const records = await readRecords(first, 50);
    // Nothing is committed, so without a seek after the rebalance kafkajs
    // would start partition 0 over from the beginning.
    await second.start([]);
    assert.deepEqual(second.assignedPartitions(), [1]);
    records.push(...await readRecords(first, 150));
    assert.deepEqual(first.assignedPartitions(), [0]);
    assert.deepEqual(records.map((r) => r.offset), range(200));
    await assertNoMore(first);
    const others = await readRecords(second, 200);
    assert.deepEqual(others.map((r) => r.offset), range(200));
    assert.ok(others.every((r) => r.partition === 1));
  } finally {
    await Promise.all([first.close(), second.close()]);
  }
});

Deno.test("KafkaSource.start() rejects a partition the topic does not have", async () => {
  const topic = uniqueTopic("src-nopart");
  await createTopic(topic, { partitions: 1 });
  const reader = source(input(topic, { partition: 5 }));
  await assert.rejects(() => reader.start([]), (error: unknown) => {
    assert.ok(error instanceof FsError);
    assert.equal(error.code, "BAD_REQUEST");
    assert.ok(error.message.includes("partition 5"), error.message);
    return true;
  });
  await reader.close();
});

Deno.test("KafkaSource.start() fails with UNAVAILABLE within a bounded time when no broker listens", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const address = `127.0.0.1:${port}`;
  const reader = new KafkaSource({
    bootstrapServers: [address],
    topic: "t",
    groupId: "g",
    partition: null,
    clientSettings: {},
  }, { sourceId: 0, clientId: "fs-test", logger: () => {} });
  const started = performance.now();
  await assert.rejects(() => reader.start([]), (error: unknown) => {
    assert.ok(error instanceof FsError);
    assert.equal(error.code, "UNAVAILABLE");
    assert.ok(error.message.includes(address), error.message);
    return true;
  });
  const took = performance.now() - started;
  assert.ok(took < 20_000, `took ${took}ms`);
  await reader.close();
});

Deno.test("KafkaSource.close() is idempotent and wakes a waiting poll", async () => {
  const topic = uniqueTopic("src-close");
  await createTopic(topic, { partitions: 1 });
  const reader = source(input(topic));
  await reader.start([]);
  const waiting = reader.poll({ maxWaitMs: 30_000 });
  const started = performance.now();
  await Promise.all([reader.close(), reader.close()]);
  assert.deepEqual(await waiting, []);
  assert.ok(performance.now() - started < 5_000);
  assert.deepEqual(await reader.poll(), []);
  await reader.close();
});

Deno.test("KafkaSource.highWatermarks() reports the end of each partition it fetched", async () => {
  const topic = uniqueTopic("src-hwm");
  await createTopic(topic, { partitions: 2 });
  await produce(
    topic,
    Array.from({ length: 10 }, (_, i) => ({
      value: `v${i}`,
      partition: i < 6 ? 0 : 1,
    })),
  );
  const reader = source(input(topic));
  try {
    assert.deepEqual(reader.highWatermarks(), []);
    await reader.start([]);
    assert.equal((await readRecords(reader, 10)).length, 10);
    assert.deepEqual(reader.highWatermarks(), [
      { topic, partition: 0, highWatermark: 6n },
      { topic, partition: 1, highWatermark: 4n },
    ]);
    await produce(
      topic,
      [1, 2, 3].map((i) => ({ value: `w${i}`, partition: 0 })),
    );
    assert.equal((await readRecords(reader, 3)).length, 3);
    assert.deepEqual(
      reader.highWatermarks().find((h) => h.partition === 0)?.highWatermark,
      9n,
    );
  } finally {
    await reader.close();
  }
});
