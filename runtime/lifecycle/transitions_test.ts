import assert from "node:assert/strict";
import { FsError } from "../core/mod.ts";
import { transition, TRANSITIONS } from "./transitions.ts";

Deno.test("transition() allows the normal life of a function", () => {
  let status = transition("CREATED", "STARTING");
  status = transition(status, "RUNNING");
  status = transition(status, "STOPPING");
  status = transition(status, "STOPPED");
  status = transition(status, "STARTING");
  status = transition(status, "FAILED");
  assert.equal(transition(status, "STARTING"), "STARTING");
});

Deno.test("transition() rejects moves that are not in the table", () => {
  assert.throws(
    () => transition("STOPPED", "RUNNING"),
    (e) =>
      e instanceof FsError && e.code === "INTERNAL" &&
      /STOPPED/.test(e.message),
  );
  assert.throws(() => transition("RUNNING", "STARTING"), FsError);
});

Deno.test("TRANSITIONS lets every status be left", () => {
  for (const [from, targets] of Object.entries(TRANSITIONS)) {
    assert.ok(targets.length > 0, `${from} is a dead end`);
  }
});

Deno.test("transition() lets a failed run restart, give up or be stopped", () => {
  let status = transition("RUNNING", "RESTARTING");
  status = transition(status, "STARTING");
  status = transition(status, "RESTARTING");
  assert.equal(transition(status, "FAILED"), "FAILED");
  assert.equal(transition("RESTARTING", "STOPPED"), "STOPPED");
  assert.throws(() => transition("RESTARTING", "RUNNING"), FsError);
});
