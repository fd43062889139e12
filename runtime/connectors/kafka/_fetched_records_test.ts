import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import type { KafkaMessage } from "kafkajs";
import { toInputRecords } from "./_fetched_records.ts";

function message(
  offset: number,
  value: string | null,
  extra: Partial<KafkaMessage> = {},
): KafkaMessage {
  return {
    key: null,
    value: value === null ? null : Buffer.from(value),
    timestamp: String(1_700_000_000_000 + offset),
    attributes: 0,
    offset: String(offset),
    headers: {},
    ...extra,
  } as KafkaMessage;
}

const text = (bytes: Uint8Array | null) =>
  bytes === null ? null : new TextDecoder().decode(bytes);
const where = { sourceId: 2, topic: "t", partition: 3 };

Deno.test("toInputRecords() keeps offset, key, value, headers and timestamp of each message", () => {
  const messages = [
    message(10, "a", { key: Buffer.from("k") }),
    message(12, null, { headers: { h: "x", r: [Buffer.from("1"), "2"] } }),
    message(13, ""),
  ];
  const records = toInputRecords(messages, {
    from: 0,
    maxRecords: 10,
    maxBytes: 1000,
    ...where,
  });
  assert.deepEqual(
    records.map((r) => [r.offset, text(r.key), text(r.value), r.timestamp]),
    [
      [10n, "k", "a", 1_700_000_000_010],
      [12n, null, "", 1_700_000_000_012],
      [13n, null, "", 1_700_000_000_013],
    ],
  );
  assert.deepEqual(
    records[1].headers.map((h) => [h.key, text(h.value)]),
    [["h", "x"], ["r", "1"], ["r", "2"]],
  );
  assert.deepEqual(records[0].headers, []);
  for (const r of records) {
    assert.equal(r.sourceId, 2);
    assert.equal(r.topic, "t");
    assert.equal(r.partition, 3);
  }
});

Deno.test("toInputRecords() copies the bytes: the fetched buffers can change or go away", () => {
  const value = Buffer.from("abc");
  const key = Buffer.from("kk");
  const [record] = toInputRecords([message(0, null, { key, value })], {
    from: 0,
    maxRecords: 1,
    maxBytes: 100,
    ...where,
  });
  value.fill(0);
  key.fill(0);
  assert.equal(text(record.value), "abc");
  assert.equal(text(record.key), "kk");
  assert.ok(!(record.value instanceof Buffer), "plain Uint8Array");
});

Deno.test("toInputRecords() starts at `from` and stops at the record or byte limit, but takes at least one", () => {
  const messages = [0, 1, 2, 3, 4].map((i) => message(i, "xxxx"));
  const offsets = (from: number, maxRecords: number, maxBytes: number) =>
    toInputRecords(messages, { from, maxRecords, maxBytes, ...where })
      .map((r) => Number(r.offset));
  assert.deepEqual(offsets(1, 2, 1000), [1, 2]);
  assert.deepEqual(offsets(0, 10, 8), [0, 1]);
  assert.deepEqual(offsets(0, 10, 11), [0, 1]);
  assert.deepEqual(offsets(3, 10, 1), [3], "one record larger than the room");
  assert.deepEqual(offsets(3, 10, 1000), [3, 4]);
  assert.deepEqual(offsets(5, 10, 1000), []);
});
