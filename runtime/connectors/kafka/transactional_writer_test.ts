// Needs a broker: `deno task kafka` (bash scripts/kafka.sh start).
import assert from "node:assert/strict";
import { FsError } from "../../core/mod.ts";
import type { KafkaOutputConfig, OutputRecord } from "../../core/mod.ts";
import {
  consumeAll,
  type ConsumedRecord,
  createTopic,
  kafkaBootstrap,
  uniqueTopic,
} from "../../../tests/helpers/kafka.ts";
import { KafkaSink } from "./kafka_sink.ts";
import { KafkaTransactionalWriter } from "./transactional_writer.ts";

const encode = (s: string) => new TextEncoder().encode(s);
const decode = (b: Uint8Array) => new TextDecoder().decode(b);

function output(
  topic: string,
  options: { partition?: number; settings?: Record<string, string> } = {},
): KafkaOutputConfig {
  return {
    bootstrapServers: [kafkaBootstrap()],
    topic,
    partition: options.partition ?? null,
    clientSettings: options.settings ?? {},
  };
}

function writer(
  outputs: KafkaOutputConfig[],
  transactionalId: string,
): KafkaTransactionalWriter {
  return new KafkaTransactionalWriter(outputs, {
    transactionalId,
    clientId: "fs-test",
    logger: () => {},
  });
}

function records(prefix: string, count: number, channel = 0): OutputRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    channel,
    key: encode(`k${i}`),
    value: encode(`${prefix}${i}`),
    headers: [{ key: "n", value: encode(String(i)) }],
  }));
}

const values = (read: ConsumedRecord[]) => read.map((r) => decode(r.value));
const valuesOf = (list: OutputRecord[]) => list.map((r) => decode(r.value));

/** Reads committed records; waits the whole timeout when fewer arrive. */
function readCommitted(topic: string, count: number, timeoutMs = 15_000) {
  return consumeAll(topic, { count, timeoutMs, isolation: "read_committed" });
}

function readAll(topic: string, count: number) {
  return consumeAll(topic, { count, timeoutMs: 15_000 });
}

Deno.test("KafkaTransactionalWriter: read_committed readers see committed records only, never aborted or open ones", async () => {
  const topic = uniqueTopic("txn-visibility");
  await createTopic(topic, { partitions: 2 });
  const w = writer([output(topic)], `fs-test-${topic}`);
  try {
    assert.equal(await w.open(), null);
    await w.send(records("a", 50));
    await w.commit("t1");
    await w.send(records("b", 30));
    await w.abort();
    await w.abort(); // nothing open: a no-op
    await w.send(records("c", 20));
    // "c" is written but not committed yet: read_committed stops before it.
    const open = await readCommitted(topic, 51, 2_000);
    assert.deepEqual(values(open).sort(), valuesOf(records("a", 50)).sort());
    await w.commit("t2");
  } finally {
    await w.close();
  }
  const committed = await readCommitted(topic, 71, 3_000);
  assert.deepEqual(
    values(committed).sort(),
    [...valuesOf(records("a", 50)), ...valuesOf(records("c", 20))].sort(),
  );
  // The aborted records were written: a read_uncommitted reader gets them.
  const everything = await readAll(topic, 100);
  assert.equal(values(everything).filter((v) => v.startsWith("b")).length, 30);
});

Deno.test("KafkaTransactionalWriter.open() returns null first, then the token of the last commit, also of one without records", async () => {
  const topic = uniqueTopic("txn-token");
  await createTopic(topic, { partitions: 1 });
  const id = `fs-test-${topic}`;
  const first = writer([output(topic)], id);
  try {
    assert.equal(await first.open(), null);
    await first.send(records("a", 3));
    await first.commit("token-1");
    await first.commit("token-2 ✓"); // nothing sent: still recorded
  } finally {
    await first.close();
  }
  const second = writer([output(topic)], id);
  try {
    assert.equal(await second.open(), "token-2 ✓");
    await second.send(records("b", 2));
    await second.send(records("c", 2));
    await second.abort();
  } finally {
    await second.close();
  }
  const third = writer([output(topic)], id);
  const longest = "é".repeat(2048); // 4096 UTF-8 bytes, the broker's limit
  try {
    assert.equal(await third.open(), "token-2 ✓", "an abort keeps the token");
    await third.commit(longest);
  } finally {
    await third.close();
  }
  const fourth = writer([output(topic)], id);
  try {
    assert.equal(await fourth.open(), longest);
  } finally {
    await fourth.close();
  }
  // The commit record lives in the writer's group, not in the topic.
  assert.deepEqual(values(await readCommitted(topic, 4, 2_000)), [
    "a0",
    "a1",
    "a2",
  ]);
});

Deno.test("KafkaTransactionalWriter writes several outputs in one transaction, keeping order per channel", async () => {
  const x = uniqueTopic("txn-multi-x");
  const y = uniqueTopic("txn-multi-y");
  await createTopic(x, { partitions: 1 });
  await createTopic(y, { partitions: 3 });
  const outputs = [
    output(x),
    output(y, { partition: 2 }),
    output(x, { settings: { "compression.type": "gzip" } }),
  ];
  const w = writer(outputs, `fs-test-${x}`);
  const interleaved: OutputRecord[] = [];
  for (let i = 0; i < 40; i++) {
    interleaved.push(records(`x${i}-`, 1, 0)[0]);
    interleaved.push(records(`y${i}-`, 1, 1)[0]);
    interleaved.push(records(`z${i}-`, 1, 2)[0]);
  }
  try {
    await w.open();
    await w.send(interleaved.slice(0, 60));
    await w.send(interleaved.slice(60));
    await w.commit("multi-1");
    await w.send([...records("gone-x", 5, 0), ...records("gone-y", 5, 1)]);
    await w.abort();
  } finally {
    await w.close();
  }
  const readX = await readCommitted(x, 81, 3_000);
  const readY = await readCommitted(y, 41, 3_000);
  const expectX = interleaved.filter((r) => r.channel !== 1);
  const expectY = interleaved.filter((r) => r.channel === 1);
  assert.deepEqual(
    values(readX).filter((v) => v.startsWith("x")),
    valuesOf(expectX.filter((r) => r.channel === 0)),
  );
  assert.deepEqual(
    values(readX).filter((v) => v.startsWith("z")),
    valuesOf(expectX.filter((r) => r.channel === 2)),
  );
  assert.equal(readX.length, 80);
  assert.deepEqual(values(readY), valuesOf(expectY));
  assert.ok(readY.every((r) => r.partition === 2));
  assert.equal(decode(readY[3].headers.n!), "0");
});

Deno.test("KafkaTransactionalWriter routes keyed records like KafkaSink: murmur2 on the key unless the output fixes a partition", async () => {
  const viaTxn = uniqueTopic("txn-route");
  const viaSink = uniqueTopic("sink-route");
  await createTopic(viaTxn, { partitions: 6 });
  await createTopic(viaSink, { partitions: 6 });
  const keyed = Array.from({ length: 60 }, (_, i) => ({
    channel: 0,
    key: encode(`user-${i}`),
    value: encode(`user-${i}`),
  }));
  const w = writer([output(viaTxn)], `fs-test-${viaTxn}`);
  const sink = new KafkaSink(output(viaSink), { clientId: "fs-test" });
  try {
    await w.open();
    await w.send(keyed);
    await w.commit("route");
    await sink.send(keyed);
  } finally {
    await w.close();
    await sink.close();
  }
  const partitionOf = (read: ConsumedRecord[]) =>
    new Map(read.map((r) => [decode(r.value), r.partition]));
  const txnPartitions = partitionOf(await readCommitted(viaTxn, 60));
  const sinkPartitions = partitionOf(await readAll(viaSink, 60));
  assert.equal(txnPartitions.size, 60);
  assert.deepEqual(txnPartitions, sinkPartitions);
  assert.ok(new Set(txnPartitions.values()).size > 1, "keys spread out");
});

Deno.test("KafkaTransactionalWriter: after a refused send, commit is refused until abort, which starts cleanly", async () => {
  const topic = uniqueTopic("txn-refused");
  await createTopic(topic, { partitions: 1 });
  const w = writer([output(topic)], `fs-test-${topic}`);
  try {
    await w.open();
    await w.send(records("before", 3));
    // Larger than the broker's message.max.bytes (1 MiB): refused for good.
    const huge = { channel: 0, value: new Uint8Array(2 * 1024 * 1024) };
    await assert.rejects(() => w.send([huge]), (error: unknown) => {
      assert.ok(error instanceof FsError);
      assert.equal(error.code, "BAD_REQUEST", error.message);
      return true;
    });
    await assert.rejects(() => w.commit("never"), /must be aborted/);
    await assert.rejects(() => w.send(records("x", 1)), /aborted first/);
    await w.abort();
    await w.send(records("after", 3));
    await w.commit("after");
  } finally {
    await w.close();
  }
  assert.deepEqual(
    values(await readCommitted(topic, 4, 3_000)),
    valuesOf(records("after", 3)),
  );
  const again = writer([output(topic)], `fs-test-${topic}`);
  try {
    assert.equal(await again.open(), "after");
  } finally {
    await again.close();
  }
});

Deno.test("KafkaTransactionalWriter refuses calls before open, after close, and records for a missing channel", async () => {
  const w = writer([output("never-created")], "fs-test-misuse");
  await assert.rejects(
    () => w.send(records("a", 1)),
    /Cannot send 1 records with transactional writer 'fs-test-misuse' as it is not open: current state is new/,
  );
  await assert.rejects(() => w.commit("t"), /not open: current state is new/);
  await w.abort(); // nothing to abort
  await w.close();
  await w.close();
  await assert.rejects(() => w.open(), /current state is closed|opened before/);
  await assert.rejects(() => w.send([]), /current state is closed/);

  const topic = uniqueTopic("txn-misuse");
  await createTopic(topic, { partitions: 1 });
  const open = writer([output(topic)], `fs-test-${topic}`);
  try {
    await open.open();
    await assert.rejects(() => open.open(), /as it was opened before/);
    await assert.rejects(
      () => open.send(records("a", 1, 1)),
      /Cannot send a record to output channel 1 as the function has 1 outputs: current value is 1/,
    );
    await assert.rejects(() => open.commit(""), /1 to 4096 UTF-8 bytes/);
  } finally {
    await open.close();
  }
});

Deno.test("KafkaTransactionalWriter.open() fails with UNAVAILABLE within a bounded time when no broker listens", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const address = `127.0.0.1:${listener.addr.port}`;
  listener.close();
  const w = new KafkaTransactionalWriter(
    [{ ...output("t"), bootstrapServers: [address] }],
    { transactionalId: "fs-test-down", clientId: "fs-test", logger: () => {} },
  );
  const started = performance.now();
  await assert.rejects(() => w.open(), (error: unknown) => {
    assert.ok(error instanceof FsError);
    assert.equal(error.code, "UNAVAILABLE");
    assert.ok(error.message.includes(address), error.message);
    assert.ok(error.message.includes("fs-test-down"), error.message);
    return true;
  });
  assert.ok(performance.now() - started < 20_000);
  await w.close();
});
