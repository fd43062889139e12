import assert from "node:assert/strict";
import { CheckpointSchedule } from "./checkpoint_schedule.ts";

Deno.test("CheckpointSchedule falls due one interval after start and after each checkpoint", () => {
  const schedule = new CheckpointSchedule(1000, 0);
  assert.equal(schedule.due(999), false);
  assert.equal(schedule.due(1000), true);
  schedule.begin();
  schedule.done(1, 1500);
  assert.equal(schedule.due(2499), false);
  assert.equal(schedule.due(2500), true);
});

Deno.test("CheckpointSchedule.request() makes a checkpoint due and resolves with its id", async () => {
  const schedule = new CheckpointSchedule(60_000, 0);
  const asked = schedule.request();
  assert.equal(schedule.due(1), true);
  schedule.begin();
  assert.equal(schedule.due(2), false);
  schedule.done(7, 3);
  assert.equal(await asked, 7);
});

Deno.test("CheckpointSchedule answers a request made during a checkpoint with the next one", async () => {
  const schedule = new CheckpointSchedule(60_000, 0);
  const first = schedule.request();
  schedule.begin();
  const second = schedule.request();
  schedule.done(1, 10);
  assert.equal(await first, 1);
  assert.equal(schedule.due(11), true);
  schedule.begin();
  schedule.done(2, 12);
  assert.equal(await second, 2);
});

Deno.test("CheckpointSchedule.fail() rejects every request in flight or waiting", async () => {
  const schedule = new CheckpointSchedule(60_000, 0);
  const first = schedule.request();
  schedule.begin();
  const second = schedule.request();
  schedule.fail(new Error("stopped"));
  await assert.rejects(first, /stopped/);
  await assert.rejects(second, /stopped/);
  assert.equal(schedule.due(1), false);
});

Deno.test("CheckpointSchedule.skip() waits another interval without answering requests", () => {
  const schedule = new CheckpointSchedule(1000, 0);
  assert.equal(schedule.requested, false);
  schedule.skip(1000);
  assert.equal(schedule.due(1999), false);
  assert.equal(schedule.due(2000), true);
  void schedule.request().catch(() => {});
  assert.equal(schedule.requested, true);
  schedule.fail(new Error("end"));
});
