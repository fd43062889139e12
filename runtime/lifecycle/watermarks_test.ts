import assert from "node:assert/strict";
import { markerOf, WatermarkTracker } from "./watermarks.ts";
import { at, marker } from "./_test_records.ts";

Deno.test("markerOf() tells markers, broken markers and data apart", () => {
  assert.deepEqual(markerOf(marker(1234)), { marker: 1234 });
  assert.deepEqual(markerOf(marker(-5)), { marker: -5 });
  assert.deepEqual(markerOf(marker("soon")), { marker: null });
  assert.equal(markerOf(at(5)), null);
});

Deno.test("WatermarkTracker gives max timestamp minus the bound minus 1, never going back", () => {
  const tracker = new WatermarkTracker({
    maxOutOfOrdernessMs: 100,
    idleTimeoutMs: 0,
    source: "timestamps",
  });
  assert.equal(tracker.watermark(0, 0), null);
  tracker.observe(at(1000), 0);
  assert.equal(tracker.watermark(0, 0), 899);
  tracker.observe(at(950), 0); // late but within the bound
  assert.equal(tracker.watermark(0, 0), 899);
  tracker.observe(at(1200), 0);
  assert.equal(tracker.watermark(0, 0), 1099);
  tracker.observe(at(-1), 0); // no timestamp
  assert.equal(tracker.watermark(0, 0), 1099);
});

Deno.test("WatermarkTracker takes the minimum over partitions and inputs of a group", () => {
  const tracker = new WatermarkTracker({
    maxOutOfOrdernessMs: 0,
    idleTimeoutMs: 0,
    source: "timestamps",
  });
  tracker.assign({ sourceId: 0, topic: "a", partitions: [0, 1] }, 0);
  tracker.assign({ sourceId: 0, topic: "b", partitions: [0] }, 0);
  tracker.assign({ sourceId: 1, topic: "c", partitions: [0] }, 0);
  tracker.observe(at(500, { topic: "a", partition: 0 }), 0);
  tracker.observe(at(300, { topic: "b", partition: 0 }), 0);
  assert.equal(tracker.watermark(0, 0), null, "a[1] has no records yet");
  tracker.observe(at(700, { topic: "a", partition: 1 }), 0);
  assert.equal(tracker.watermark(0, 0), 299);
  tracker.observe(at(900, { topic: "b", partition: 0 }), 0);
  assert.equal(tracker.watermark(0, 0), 499);
  assert.equal(tracker.watermark(1, 0), null, "group 1 is separate");
  tracker.observe(at(50, { topic: "c", sourceId: 1 }), 0);
  assert.equal(tracker.watermark(1, 0), 49);
});

Deno.test("WatermarkTracker stops idle partitions from holding back, and revoked ones", () => {
  const tracker = new WatermarkTracker({
    maxOutOfOrdernessMs: 0,
    idleTimeoutMs: 1000,
    source: "timestamps",
  });
  tracker.assign({ sourceId: 0, topic: "t", partitions: [0, 1] }, 0);
  tracker.observe(at(100, { partition: 0 }), 0);
  assert.equal(tracker.watermark(0, 999), null, "partition 1 not idle yet");
  tracker.observe(at(200, { partition: 0 }), 999);
  assert.equal(tracker.watermark(0, 1000), 199, "partition 1 idle");
  tracker.observe(at(150, { partition: 1 }), 1001);
  assert.equal(tracker.watermark(0, 1001), 149, "partition 1 active again");
  assert.equal(tracker.watermark(0, 5000), null, "all idle: no watermark");
  tracker.observe(at(300, { partition: 0 }), 5000);
  tracker.assign({ sourceId: 0, topic: "t", partitions: [0] }, 5000);
  assert.equal(tracker.watermark(0, 5000), 299, "partition 1 revoked");
});

Deno.test("WatermarkTracker with source timestamps lets a marker push a partition ahead", () => {
  const tracker = new WatermarkTracker({
    maxOutOfOrdernessMs: 0,
    idleTimeoutMs: 0,
    source: "timestamps",
  });
  assert.equal(tracker.observe(at(1000), 0), false);
  assert.equal(tracker.watermark(0, 0), 999);
  assert.equal(tracker.observe(marker(5000), 0), true);
  assert.equal(tracker.watermark(0, 0), 5000, "the larger of the two");
  tracker.observe(at(7000), 0);
  assert.equal(tracker.watermark(0, 0), 6999);
});

Deno.test("WatermarkTracker with source markers ignores record timestamps", () => {
  const tracker = new WatermarkTracker({
    maxOutOfOrdernessMs: 0,
    idleTimeoutMs: 0,
    source: "markers",
  });
  assert.equal(tracker.observe(at(5_000_000), 0), false);
  assert.equal(tracker.watermark(0, 0), null, "no marker yet");
  assert.equal(tracker.observe(marker(1000), 0), true);
  assert.equal(tracker.watermark(0, 0), 1000);
  tracker.observe(at(9_000_000), 0);
  assert.equal(tracker.watermark(0, 0), 1000);
  tracker.observe(marker(800), 0);
  assert.equal(
    tracker.watermark(0, 0),
    1000,
    "an older marker changes nothing",
  );
  assert.equal(tracker.observe(marker("x"), 0), true);
  tracker.observe(marker(1500), 0);
  assert.equal(tracker.watermark(0, 0), 1500);
});
