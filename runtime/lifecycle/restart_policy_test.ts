import assert from "node:assert/strict";
import { RestartPolicy } from "./restart_policy.ts";

const options = {
  maxRestarts: 3,
  windowMs: 60_000,
  backoffMs: 1000,
  maxBackoffMs: 3000,
};

Deno.test("RestartPolicy doubles the backoff up to its cap, then gives up", () => {
  const policy = new RestartPolicy(options);
  assert.deepEqual(policy.onFailure(0), {
    restart: true,
    delayMs: 1000,
    attempt: 1,
  });
  assert.deepEqual(policy.onFailure(2000), {
    restart: true,
    delayMs: 2000,
    attempt: 2,
  });
  assert.deepEqual(policy.onFailure(5000), {
    restart: true,
    delayMs: 3000,
    attempt: 3,
  });
  const decision = policy.onFailure(9000);
  assert.equal(decision.restart, false);
  assert.match(
    decision.restart ? "" : decision.reason,
    /after 3 restarts within 60 s \(max_restarts 3\)/,
  );
});

Deno.test("RestartPolicy forgets restarts older than its window", () => {
  const policy = new RestartPolicy({ ...options, maxRestarts: 1 });
  assert.equal(policy.onFailure(0).restart, true);
  assert.equal(policy.onFailure(59_999).restart, false);
  const later = policy.onFailure(60_000);
  assert.deepEqual(later, { restart: true, delayMs: 1000, attempt: 1 });
});

Deno.test("RestartPolicy with max_restarts 0 gives up at once", () => {
  const decision = new RestartPolicy({ ...options, maxRestarts: 0 })
    .onFailure(0);
  assert.equal(decision.restart, false);
  assert.match(decision.restart ? "" : decision.reason, /max_restarts is 0/);
});
