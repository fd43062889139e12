import assert from "node:assert/strict";
import type { InputRecord } from "../core/mod.ts";
import { BatchPlanner, type BatchStep } from "./batch_steps.ts";
import { WatermarkTracker } from "./watermarks.ts";
import { at, marker } from "./_test_records.ts";

function planner(
  options: {
    bound?: number;
    idleMs?: number;
    intervalMs?: number;
    groups?: number;
  } = {},
): BatchPlanner {
  const tracker = new WatermarkTracker({
    maxOutOfOrdernessMs: options.bound ?? 0,
    idleTimeoutMs: options.idleMs ?? 0,
    source: "timestamps",
  });
  return new BatchPlanner(tracker, {
    groupCount: options.groups ?? 1,
    intervalMs: options.intervalMs ?? 0,
  });
}

/** Steps as short strings: "p:ts,ts" for process, "w:g=W" for watermarks. */
function show(steps: BatchStep[]): string[] {
  return steps.map((step) =>
    step.kind === "process"
      ? `p:${step.records.map((r) => r.timestamp).join(",")}`
      : `w:${step.sourceId}=${step.watermark}`
  );
}

Deno.test("BatchPlanner gives ordered, monotonic watermarks for out-of-order timestamps", () => {
  const p = planner({ bound: 10 });
  const batch = [100, 95, 120, 80, 111, 130, 125].map((t) => at(t));
  const steps = p.plan(batch, 0);
  assert.deepEqual(show(steps), [
    "p:100",
    "w:0=89",
    "p:95,120",
    "w:0=109",
    "p:80,111,130",
    "w:0=119",
    "p:125",
  ]);
  const watermarks = steps.flatMap((s) =>
    s.kind === "watermark" ? [s.watermark] : []
  );
  assert.deepEqual(watermarks, [...watermarks].sort((a, b) => a - b));
  // Every record handed out after a watermark W that is not late has a
  // timestamp above W, and every record before it was read before it.
  let current = -Infinity;
  let late = 0;
  for (const step of steps) {
    if (step.kind === "watermark") current = step.watermark;
    else for (const r of step.records) if (r.timestamp <= current) late++;
  }
  assert.equal(late, 1, "only 80 arrives later than the bound allows");
  assert.equal(p.lastWatermark(0), 119);
  assert.deepEqual(show(p.plan([at(129)], 0)), ["p:129"], "no advance");
});

Deno.test("BatchPlanner with an interval places one call per group after its last advance", () => {
  const p = planner({ intervalMs: 200, groups: 2 });
  const batch = [
    at(10),
    at(20),
    at(5, { sourceId: 1, topic: "u" }),
    at(30),
    at(7, { sourceId: 1, topic: "u" }),
    at(31, { sourceId: 1, topic: "u" }),
  ];
  assert.deepEqual(show(p.plan(batch, 1000)), [
    "p:10,20,5,30",
    "w:0=29",
    "p:7,31",
    "w:1=30",
  ]);
  // Within the interval the advance waits, then comes with an empty batch.
  assert.deepEqual(show(p.plan([at(40)], 1100)), ["p:40"]);
  assert.deepEqual(show(p.plan([], 1199)), []);
  assert.deepEqual(show(p.plan([], 1200)), ["w:0=39"]);
});

Deno.test("BatchPlanner never hands markers to process and keeps their positions", () => {
  const p = planner();
  const records: InputRecord[] = [
    { ...at(1), offset: 0n },
    { ...marker(500), offset: 1n },
    { ...marker(400), offset: 2n },
    { ...at(2), offset: 3n },
    { ...marker(900), offset: 4n },
  ];
  const steps = p.plan(records, 0);
  assert.deepEqual(show(steps), ["p:1", "w:0=0", "w:0=500", "p:2", "w:0=900"]);
  const offsets = steps.flatMap((s) => s.read.map((r) => r.offset));
  assert.deepEqual(offsets, [0n, 1n, 2n, 3n, 4n]);
  for (const step of steps) {
    if (step.kind !== "process") continue;
    for (const r of step.records) assert.equal(r.headers.length, 0);
  }
});

Deno.test("BatchPlanner advances a group once its other partition goes idle", () => {
  const tracker = new WatermarkTracker({
    maxOutOfOrdernessMs: 0,
    idleTimeoutMs: 1000,
    source: "timestamps",
  });
  tracker.assign({ sourceId: 0, topic: "t", partitions: [0, 1] }, 0);
  const p = new BatchPlanner(tracker, { groupCount: 1, intervalMs: 0 });
  assert.deepEqual(show(p.plan([at(100), at(200)], 10)), ["p:100,200"]);
  assert.deepEqual(show(p.plan([], 500)), []);
  assert.deepEqual(show(p.plan([], 1000)), ["w:0=199"]);
  assert.deepEqual(show(p.plan([at(150, { partition: 1 })], 1100)), ["p:150"]);
  assert.deepEqual(show(p.plan([at(300, { partition: 1 })], 1200)), [
    "p:300",
    "w:0=299",
  ]);
});
