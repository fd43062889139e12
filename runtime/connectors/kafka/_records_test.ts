import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import {
  copyBytes,
  fromKafkaHeaders,
  toKafkaHeaders,
  toKafkaMessage,
  toSendBatches,
} from "./_records.ts";

const encode = (s: string) => new TextEncoder().encode(s);

Deno.test("toKafkaHeaders() groups repeated keys in order and writes null as empty", () => {
  const headers = toKafkaHeaders([
    { key: "a", value: encode("1") },
    { key: "b", value: null },
    { key: "a", value: encode("2") },
  ])!;
  assert.deepEqual(
    (headers.a as Buffer[]).map((b) => b.toString()),
    ["1", "2"],
  );
  assert.equal((headers.b as Buffer).byteLength, 0);
  assert.equal(toKafkaHeaders([]), undefined);
});

Deno.test("fromKafkaHeaders() turns strings, buffers, arrays and missing values into byte headers", () => {
  const list = fromKafkaHeaders({
    s: "x",
    b: Buffer.from([1, 2]),
    r: [Buffer.from("p"), "q"],
    n: undefined,
  });
  assert.deepEqual(
    list.map((h) => [h.key, h.value === null ? null : [...h.value]]),
    [["s", [120]], ["b", [1, 2]], ["r", [112]], ["r", [113]], ["n", null]],
  );
  assert.ok(
    !(list[1].value instanceof Buffer),
    "plain Uint8Array, not a Buffer",
  );
});

Deno.test("copyBytes() returns bytes that own their whole ArrayBuffer", () => {
  const big = new Uint8Array(100).fill(7);
  const view = big.subarray(10, 13);
  const copy = copyBytes(view);
  assert.equal(copy.buffer.byteLength, 3);
  assert.deepEqual([...copy], [7, 7, 7]);
});

Deno.test("toKafkaMessage() keeps key, value and headers and sets only a fixed partition", () => {
  const record = {
    channel: 1,
    key: new TextEncoder().encode("k"),
    value: new TextEncoder().encode("v"),
    headers: [{ key: "h", value: new TextEncoder().encode("x") }],
  };
  const fixed = toKafkaMessage(record, 3);
  assert.equal(fixed.partition, 3);
  assert.equal(String(fixed.key), "k");
  assert.equal(String(fixed.value), "v");
  assert.equal(String((fixed.headers as Record<string, unknown>).h), "x");
  const keyed = toKafkaMessage({ ...record, key: null }, null);
  assert.equal("partition" in keyed, false);
  assert.equal(keyed.key, null);
});

Deno.test("toSendBatches() groups by codec and topic, keeps order per channel and applies fixed partitions", () => {
  const outputs = [
    { bootstrapServers: [], topic: "a", partition: null, clientSettings: {} },
    { bootstrapServers: [], topic: "b", partition: 1, clientSettings: {} },
    { bootstrapServers: [], topic: "a", partition: null, clientSettings: {} },
  ];
  const record = (channel: number, v: string) => ({
    channel,
    value: encode(v),
  });
  const batches = toSendBatches(
    [record(0, "a1"), record(1, "b1"), record(2, "z1"), record(0, "a2")],
    { outputs, compressions: [0, 0, 1] },
  );
  const shape = batches.map((b) => ({
    compression: b.compression,
    topics: b.topicMessages.map((t) => ({
      topic: t.topic,
      values: t.messages.map((m) => `${m.value}@${m.partition ?? "-"}`),
    })),
  }));
  assert.deepEqual(shape, [
    {
      compression: 0,
      topics: [
        { topic: "a", values: ["a1@-", "a2@-"] },
        { topic: "b", values: ["b1@1"] },
      ],
    },
    { compression: 1, topics: [{ topic: "a", values: ["z1@-"] }] },
  ]);
  assert.throws(
    () => toSendBatches([record(3, "x")], { outputs, compressions: [0] }),
    /output channel 3 as the function has 3 outputs: current value is 3/,
  );
});
