import assert from "node:assert/strict";
import { FsError } from "../core/mod.ts";
import { checkHeartbeat, HeartbeatSchedule } from "./heartbeat.ts";

Deno.test("HeartbeatSchedule falls due one interval after the last heartbeat", () => {
  const schedule = new HeartbeatSchedule(1000, 0);
  assert.equal(schedule.due(999), false);
  assert.equal(schedule.due(1000), true);
  schedule.done(1500);
  assert.equal(schedule.due(2000), false);
  assert.equal(schedule.due(2500), true);
  assert.equal(new HeartbeatSchedule(0, 0).due(1e12), false, "0 disables");
});

function target(answer: () => Promise<boolean>) {
  const calls = { terminated: 0 };
  return {
    calls,
    checkHeartbeat: answer,
    terminate() {
      calls.terminated++;
    },
  };
}

const options = { functionName: "f", timeoutMs: 50 };

Deno.test("checkHeartbeat() passes on True and fails on False", async () => {
  await checkHeartbeat(target(() => Promise.resolve(true)), options);
  await assert.rejects(
    checkHeartbeat(target(() => Promise.resolve(false)), options),
    (e) =>
      e instanceof FsError && e.code === "USER_CODE" &&
      /'f' asked for a restart: check_heartbeat\(\) returned False/.test(
        e.message,
      ),
  );
});

Deno.test("checkHeartbeat() passes the hook's exception on", async () => {
  const raised = new FsError("USER_CODE", "Traceback ... ValueError: sick");
  await assert.rejects(
    checkHeartbeat(target(() => Promise.reject(raised)), options),
    (e) => e === raised,
  );
});

Deno.test("checkHeartbeat() terminates a worker that does not answer in time", async () => {
  const never = target(() => new Promise<boolean>(() => {}));
  const started = Date.now();
  await assert.rejects(
    checkHeartbeat(never, options),
    /check_heartbeat\(\) of function 'f' within 50 ms/,
  );
  assert.ok(Date.now() - started < 1000);
  assert.equal(never.calls.terminated, 1);
});
