import assert from "node:assert/strict";
import type { InputRecord } from "../../core/mod.ts";
import { RecordBuffer } from "./_record_buffer.ts";

function record(partition: number, offset: number, size = 1): InputRecord {
  return {
    sourceId: 0,
    topic: "t",
    partition,
    offset: BigInt(offset),
    key: null,
    value: new Uint8Array(size),
    headers: [],
    timestamp: 0,
  };
}

Deno.test("RecordBuffer.take() returns records in push order, at most max", () => {
  const buffer = new RecordBuffer({ maxRecords: 10, maxBytes: 100 });
  for (let i = 0; i < 5; i++) buffer.push(record(0, i));
  assert.deepEqual(buffer.take(3).map((r) => r.offset), [0n, 1n, 2n]);
  assert.deepEqual(buffer.take(10).map((r) => r.offset), [3n, 4n]);
  assert.equal(buffer.size, 0);
  assert.equal(buffer.bytes, 0);
});

Deno.test("RecordBuffer is full at its record or byte limit and low at half", () => {
  const byCount = new RecordBuffer({ maxRecords: 4, maxBytes: 1000 });
  for (let i = 0; i < 4; i++) byCount.push(record(0, i));
  assert.ok(byCount.isFull());
  byCount.take(1);
  assert.ok(!byCount.isFull() && !byCount.isLow());
  byCount.take(1);
  assert.ok(byCount.isLow());
  const byBytes = new RecordBuffer({ maxRecords: 1000, maxBytes: 10 });
  byBytes.push(record(0, 0, 10));
  assert.ok(byBytes.isFull());
});

Deno.test("RecordBuffer stays in order across many pushes and takes (compaction)", () => {
  const buffer = new RecordBuffer({ maxRecords: 10_000, maxBytes: 1e9 });
  let next = 0;
  let expected = 0;
  for (let round = 0; round < 50; round++) {
    for (let i = 0; i < 300; i++) buffer.push(record(0, next++));
    for (const r of buffer.take(250)) {
      assert.equal(r.offset, BigInt(expected++));
    }
  }
  for (const r of buffer.take(100_000)) {
    assert.equal(r.offset, BigInt(expected++));
  }
  assert.equal(expected, next);
});

Deno.test("RecordBuffer.dropPartition() removes one partition and returns its first offset", () => {
  const buffer = new RecordBuffer({ maxRecords: 10, maxBytes: 100 });
  buffer.push(record(0, 5));
  buffer.push(record(1, 7));
  buffer.push(record(0, 6));
  buffer.push(record(1, 8));
  buffer.take(1);
  assert.equal(buffer.dropPartition("t", 1), 7n);
  assert.equal(buffer.dropPartition("t", 1), undefined);
  assert.deepEqual(buffer.take(10).map((r) => r.offset), [6n]);
  assert.equal(buffer.bytes, 0);
});

Deno.test("RecordBuffer.waitForRecords() resolves on push, timeout, abort and wakeAll", async () => {
  const buffer = new RecordBuffer({ maxRecords: 10, maxBytes: 100 });
  const started = performance.now();
  await buffer.waitForRecords(30);
  assert.ok(performance.now() - started >= 25);

  const pushed = buffer.waitForRecords(10_000);
  setTimeout(() => buffer.push(record(0, 0)), 5);
  await pushed;
  assert.equal(buffer.size, 1);
  await buffer.waitForRecords(10_000); // records present: returns at once
  buffer.take(1);

  const controller = new AbortController();
  const aborted = buffer.waitForRecords(10_000, controller.signal);
  controller.abort();
  await aborted;

  const woken = buffer.waitForRecords(10_000);
  buffer.wakeAll();
  await woken;
});
