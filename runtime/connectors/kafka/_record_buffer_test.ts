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

Deno.test("RecordBuffer is full at its record or byte limit and reports the room left", () => {
  const byCount = new RecordBuffer({ maxRecords: 4, maxBytes: 1000 });
  assert.equal(byCount.room, 4);
  byCount.pushAll([record(0, 0), record(0, 1), record(0, 2)]);
  assert.equal(byCount.room, 1);
  assert.equal(byCount.byteRoom, 997);
  byCount.push(record(0, 3));
  assert.ok(byCount.isFull());
  assert.equal(byCount.room, 0);
  byCount.take(1);
  assert.ok(!byCount.isFull());
  const byBytes = new RecordBuffer({ maxRecords: 1000, maxBytes: 10 });
  byBytes.push(record(0, 0, 10));
  assert.ok(byBytes.isFull());
  assert.equal(byBytes.byteRoom, 0);
});

Deno.test("RecordBuffer.waitForSpace() resolves on take, drop, timeout and wakeAll, at once when not full", async () => {
  const buffer = new RecordBuffer({ maxRecords: 2, maxBytes: 100 });
  await buffer.waitForSpace(10_000); // not full: returns at once
  buffer.pushAll([record(0, 0), record(1, 0)]);
  const taken = buffer.waitForSpace(10_000);
  setTimeout(() => buffer.take(1), 5);
  await taken;
  assert.equal(buffer.size, 1);
  buffer.push(record(1, 1));
  const dropped = buffer.waitForSpace(10_000);
  setTimeout(() => buffer.dropPartition("t", 1), 5);
  await dropped;
  assert.equal(buffer.size, 0);
  buffer.pushAll([record(0, 1), record(0, 2)]);
  const started = Date.now();
  await buffer.waitForSpace(30);
  assert.ok(Date.now() - started >= 25, "waited for the timeout");
  const woken = buffer.waitForSpace(10_000);
  buffer.wakeAll();
  await woken;
  // A push never wakes a waiter for space.
  const stillWaiting = buffer.waitForSpace(50);
  let done = false;
  stillWaiting.then(() => (done = true));
  buffer.push(record(0, 3));
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(done, false);
  await stillWaiting;
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
