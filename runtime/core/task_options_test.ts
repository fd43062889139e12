import assert from "node:assert/strict";
import { FsError } from "./errors.ts";
import { parseTaskConfig } from "./task_config.ts";
import {
  DEFAULT_CHECKPOINT_SETTINGS,
  DEFAULT_SUPERVISION_SETTINGS,
  DEFAULT_WATERMARK_SETTINGS,
  parseCheckpointSettings,
  parseSupervisionSettings,
  parseWatermarkSettings,
} from "./task_options.ts";

const BASE = `name: f
input-groups:
- inputs:
  - {bootstrap_servers: 'k:1', topic: t, group_id: g}
`;

function rejects(doc: Record<string, unknown>, field: RegExp): void {
  assert.throws(
    () => {
      parseWatermarkSettings(doc);
      parseSupervisionSettings(doc);
    },
    (e) =>
      e instanceof FsError && e.code === "BAD_REQUEST" && field.test(e.message),
  );
}

Deno.test("parseTaskConfig() fills every extension key with its default", () => {
  const config = parseTaskConfig(BASE);
  assert.deepEqual(config.watermarks, DEFAULT_WATERMARK_SETTINGS);
  assert.deepEqual(config.supervision, DEFAULT_SUPERVISION_SETTINGS);
  assert.equal(config.supervision.maxRestarts, 3);
  assert.equal(config.supervision.heartbeatIntervalMs, 10_000);
  assert.equal(config.watermarks.maxOutOfOrdernessMs, 0);
});

Deno.test("parseTaskConfig() reads the extension keys, seconds as fractions", () => {
  const config = parseTaskConfig(
    BASE + `watermark_max_out_of_orderness_ms: 500
watermark_idle_timeout_ms: 0
watermark_interval_ms: 0
watermark_source: markers
heartbeat_interval_seconds: 0.2
heartbeat_timeout_seconds: 1.5
process_timeout_seconds: 2
max_restarts: 0
restart_window_seconds: 10
restart_backoff_seconds: 0.1
restart_backoff_max_seconds: 0.4
memory_limit_mb: 256
`,
  );
  assert.deepEqual(config.watermarks, {
    maxOutOfOrdernessMs: 500,
    idleTimeoutMs: 0,
    intervalMs: 0,
    source: "markers",
  });
  assert.deepEqual(config.supervision, {
    heartbeatIntervalMs: 200,
    heartbeatTimeoutMs: 1500,
    callTimeoutMs: 2000,
    maxRestarts: 0,
    restartWindowMs: 10_000,
    restartBackoffMs: 100,
    restartBackoffMaxMs: 400,
    memoryLimitBytes: 256 * 1024 * 1024,
  });
});

Deno.test("parseTaskConfig() reads the checkpoint keys, with exactly-once as the default", () => {
  assert.deepEqual(
    parseTaskConfig(BASE).checkpoints,
    DEFAULT_CHECKPOINT_SETTINGS,
  );
  assert.equal(DEFAULT_CHECKPOINT_SETTINGS.guarantee, "exactly_once");
  const config = parseTaskConfig(
    BASE + "checkpoint_guarantee: at_least_once\ncheckpoints_retained: 7\n",
  );
  assert.deepEqual(config.checkpoints, {
    guarantee: "at_least_once",
    retained: 7,
  });
});

Deno.test("parseCheckpointSettings() names the key of every bad value", () => {
  assert.throws(
    () => parseCheckpointSettings({ checkpoint_guarantee: "maybe" }),
    /checkpoint_guarantee.*'at_least_once'/,
  );
  assert.throws(
    () => parseCheckpointSettings({ checkpoints_retained: 0 }),
    /checkpoints_retained.*from 1 to 1000/,
  );
  assert.throws(
    () => parseCheckpointSettings({ checkpoints_retained: 2.5 }),
    /checkpoints_retained/,
  );
});

Deno.test("parseSupervisionSettings() raises the default backoff cap to a longer first backoff", () => {
  const settings = parseSupervisionSettings({ restart_backoff_seconds: 120 });
  assert.equal(settings.restartBackoffMs, 120_000);
  assert.equal(settings.restartBackoffMaxMs, 120_000);
});

Deno.test("extension keys name the key of every bad value", () => {
  rejects({ watermark_max_out_of_orderness_ms: -1 }, /out_of_orderness/);
  rejects({ watermark_idle_timeout_ms: 1.5 }, /whole number/);
  rejects({ watermark_interval_ms: "fast" }, /watermark_interval_ms/);
  rejects({ watermark_source: "kafka" }, /watermark_source.*'markers'/);
  rejects({ heartbeat_interval_seconds: -2 }, /heartbeat_interval_seconds/);
  rejects(
    { heartbeat_timeout_seconds: 0 },
    /heartbeat_timeout_seconds.*positive/,
  );
  rejects(
    { process_timeout_seconds: 1e12 },
    /process_timeout_seconds.*at most/,
  );
  rejects({ max_restarts: 1.5 }, /max_restarts/);
  rejects({ max_restarts: -1 }, /max_restarts/);
  rejects({ restart_window_seconds: 0 }, /restart_window_seconds/);
  rejects({ memory_limit_mb: 8 }, /memory_limit_mb.*from 64 to 4096/);
  rejects({ memory_limit_mb: "lots" }, /memory_limit_mb/);
  rejects(
    { restart_backoff_seconds: 2, restart_backoff_max_seconds: 1 },
    /restart_backoff_max_seconds.*not be less/,
  );
});
