/**
 * Optional extension keys of the task config (not written by the public
 * `WasmTaskBuilder`, so every one has a default): event time, heartbeats,
 * call deadlines and the restart policy. Defaults live here only.
 * @module
 */
import { FsError } from "./errors.ts";

/** How watermarks are derived from input records (keys `watermark_*`). */
export interface WatermarkSettings {
  /** `watermark_max_out_of_orderness_ms`: how far behind the largest timestamp seen a record may still arrive. */
  maxOutOfOrdernessMs: number;
  /** `watermark_idle_timeout_ms`: a partition without records this long stops holding back its group; 0 = never idle. */
  idleTimeoutMs: number;
  /** `watermark_interval_ms`: least time between two `process_watermark` calls of a group; 0 = at every advance. */
  intervalMs: number;
  /**
   * `watermark_source`: "timestamps" derives watermarks from record
   * timestamps (a marker can still push a partition ahead); "markers" uses
   * only markers written by `ctx.emit_watermark` upstream (for topics
   * written by Function Stream functions, whose timestamps are write times).
   */
  source: "timestamps" | "markers";
}

/** How a running function is watched and restarted. */
export interface SupervisionSettings {
  /** `heartbeat_interval_seconds`: time between `check_heartbeat` calls; 0 = never called. */
  heartbeatIntervalMs: number;
  /** `heartbeat_timeout_seconds`: longest `check_heartbeat` may take before the worker is restarted. */
  heartbeatTimeoutMs: number;
  /** `process_timeout_seconds`: longest one hook call may run before the worker is terminated; 0 = no limit. */
  callTimeoutMs: number;
  /** `max_restarts`: restarts allowed within the window; one more failure makes the function FAILED. */
  maxRestarts: number;
  /** `restart_window_seconds`: how long a restart counts against `max_restarts`. */
  restartWindowMs: number;
  /** `restart_backoff_seconds`: wait before the first restart; doubled for each restart in the window. */
  restartBackoffMs: number;
  /** `restart_backoff_max_seconds`: the longest wait before a restart. */
  restartBackoffMaxMs: number;
  /**
   * `memory_limit_mb`: most memory the function's isolate may use, in
   * bytes; null = the server's default (`--function-memory-mb`).
   */
  memoryLimitBytes: number | null;
}

/** What a function's checkpoints guarantee and how many are kept (keys `checkpoint_*`). */
export interface CheckpointSettings {
  /**
   * `checkpoint_guarantee`: "exactly_once" writes outputs in Kafka
   * transactions committed with each checkpoint; "at_least_once" writes them
   * at once (a crash replays what followed the last checkpoint).
   */
  guarantee: "exactly_once" | "at_least_once";
  /** `checkpoints_retained`: how many complete checkpoints are kept (older ones are deleted). */
  retained: number;
}

/** The defaults of every extension key. */
export const DEFAULT_WATERMARK_SETTINGS: Readonly<WatermarkSettings> = {
  maxOutOfOrdernessMs: 0,
  idleTimeoutMs: 30_000,
  intervalMs: 200,
  source: "timestamps",
};

/** The defaults of every supervision key. */
export const DEFAULT_SUPERVISION_SETTINGS: Readonly<SupervisionSettings> = {
  heartbeatIntervalMs: 10_000,
  heartbeatTimeoutMs: 5_000,
  callTimeoutMs: 30_000,
  maxRestarts: 3,
  restartWindowMs: 300_000,
  restartBackoffMs: 1_000,
  restartBackoffMaxMs: 60_000,
  memoryLimitBytes: null,
};

/** The defaults of the checkpoint keys. */
export const DEFAULT_CHECKPOINT_SETTINGS: Readonly<CheckpointSettings> = {
  guarantee: "exactly_once",
  retained: 3,
};

/** Most checkpoints a function may keep. */
export const MAX_CHECKPOINTS_RETAINED = 1000;

/** Largest per-function memory limit, in MiB (a wasm32 heap cannot exceed 4 GiB). */
export const MAX_MEMORY_LIMIT_MB = 4096;

/** The top-level extension keys, for the config's known-field check. */
export const TASK_OPTION_KEYS: readonly string[] = [
  "watermark_max_out_of_orderness_ms",
  "watermark_idle_timeout_ms",
  "watermark_interval_ms",
  "watermark_source",
  "heartbeat_interval_seconds",
  "heartbeat_timeout_seconds",
  "process_timeout_seconds",
  "max_restarts",
  "restart_window_seconds",
  "restart_backoff_seconds",
  "restart_backoff_max_seconds",
  "memory_limit_mb",
  "checkpoint_guarantee",
  "checkpoints_retained",
];

/** Largest accepted value of any duration key: about 24 days, setTimeout's limit. */
const MAX_DURATION_MS = 2_147_483_647;

function bad(key: string, problem: string, value: unknown): FsError {
  return new FsError(
    "BAD_REQUEST",
    `Invalid task config field '${key}': ${problem}: current value is ${
      JSON.stringify(value) ?? String(value)
    }`,
  );
}

function milliseconds(
  doc: Record<string, unknown>,
  key: string,
  options: { fallback: number; unit: "ms" | "s"; positive?: boolean },
): number {
  const value = doc[key];
  if (value === undefined || value === null) return options.fallback;
  const wanted = options.positive
    ? "a positive number"
    : "a number of 0 or more";
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw bad(key, `must be ${wanted}`, value);
  }
  if (options.positive ? value <= 0 : value < 0) {
    throw bad(key, `must be ${wanted}`, value);
  }
  if (options.unit === "ms" && !Number.isInteger(value)) {
    throw bad(key, "must be a whole number of milliseconds", value);
  }
  const ms = Math.round(options.unit === "s" ? value * 1000 : value);
  if (ms > MAX_DURATION_MS) {
    throw bad(key, `must be at most ${MAX_DURATION_MS} ms`, value);
  }
  return ms;
}

/**
 * Reads the `watermark_*` keys of a task config document.
 *
 * @throws {FsError} BAD_REQUEST naming the key when a duration is not a
 * whole number of milliseconds of 0 or more, or the source is unknown.
 */
export function parseWatermarkSettings(
  doc: Record<string, unknown>,
): WatermarkSettings {
  const d = DEFAULT_WATERMARK_SETTINGS;
  const source = doc.watermark_source ?? d.source;
  if (source !== "timestamps" && source !== "markers") {
    throw bad("watermark_source", "must be 'timestamps' or 'markers'", source);
  }
  return {
    maxOutOfOrdernessMs: milliseconds(
      doc,
      "watermark_max_out_of_orderness_ms",
      {
        fallback: d.maxOutOfOrdernessMs,
        unit: "ms",
      },
    ),
    idleTimeoutMs: milliseconds(doc, "watermark_idle_timeout_ms", {
      fallback: d.idleTimeoutMs,
      unit: "ms",
    }),
    intervalMs: milliseconds(doc, "watermark_interval_ms", {
      fallback: d.intervalMs,
      unit: "ms",
    }),
    source,
  };
}

/**
 * Reads the heartbeat, deadline and restart keys of a task config document.
 * Seconds may be fractional (0.2 is 200 ms).
 *
 * @throws {FsError} BAD_REQUEST naming the key when a value is out of range.
 */
export function parseSupervisionSettings(
  doc: Record<string, unknown>,
): SupervisionSettings {
  const d = DEFAULT_SUPERVISION_SETTINGS;
  const maxRestarts = doc.max_restarts ?? d.maxRestarts;
  if (
    typeof maxRestarts !== "number" || !Number.isInteger(maxRestarts) ||
    maxRestarts < 0 || maxRestarts > 1000
  ) {
    throw bad("max_restarts", "must be an integer from 0 to 1000", maxRestarts);
  }
  const settings: SupervisionSettings = {
    heartbeatIntervalMs: milliseconds(doc, "heartbeat_interval_seconds", {
      fallback: d.heartbeatIntervalMs,
      unit: "s",
    }),
    heartbeatTimeoutMs: milliseconds(doc, "heartbeat_timeout_seconds", {
      fallback: d.heartbeatTimeoutMs,
      unit: "s",
      positive: true,
    }),
    callTimeoutMs: milliseconds(doc, "process_timeout_seconds", {
      fallback: d.callTimeoutMs,
      unit: "s",
    }),
    maxRestarts,
    restartWindowMs: milliseconds(doc, "restart_window_seconds", {
      fallback: d.restartWindowMs,
      unit: "s",
      positive: true,
    }),
    restartBackoffMs: milliseconds(doc, "restart_backoff_seconds", {
      fallback: d.restartBackoffMs,
      unit: "s",
    }),
    restartBackoffMaxMs: milliseconds(doc, "restart_backoff_max_seconds", {
      fallback: d.restartBackoffMaxMs,
      unit: "s",
    }),
    memoryLimitBytes: null,
  };
  const memoryMb = doc.memory_limit_mb;
  if (memoryMb !== undefined && memoryMb !== null) {
    if (
      typeof memoryMb !== "number" || !Number.isInteger(memoryMb) ||
      memoryMb < 64 || memoryMb > MAX_MEMORY_LIMIT_MB
    ) {
      throw bad(
        "memory_limit_mb",
        `must be an integer from 64 to ${MAX_MEMORY_LIMIT_MB}`,
        memoryMb,
      );
    }
    settings.memoryLimitBytes = memoryMb * 1024 * 1024;
  }
  if (doc.restart_backoff_max_seconds == null) {
    settings.restartBackoffMaxMs = Math.max(
      settings.restartBackoffMaxMs,
      settings.restartBackoffMs,
    );
  } else if (settings.restartBackoffMaxMs < settings.restartBackoffMs) {
    throw bad(
      "restart_backoff_max_seconds",
      "must not be less than restart_backoff_seconds",
      doc.restart_backoff_max_seconds,
    );
  }
  return settings;
}

/**
 * Reads the `checkpoint_guarantee` and `checkpoints_retained` keys.
 *
 * @throws {FsError} BAD_REQUEST naming the key when a value is unknown or out of range.
 */
export function parseCheckpointSettings(
  doc: Record<string, unknown>,
): CheckpointSettings {
  const d = DEFAULT_CHECKPOINT_SETTINGS;
  const guarantee = doc.checkpoint_guarantee ?? d.guarantee;
  if (guarantee !== "exactly_once" && guarantee !== "at_least_once") {
    throw bad(
      "checkpoint_guarantee",
      "must be 'exactly_once' or 'at_least_once'",
      guarantee,
    );
  }
  const retained = doc.checkpoints_retained ?? d.retained;
  if (
    typeof retained !== "number" || !Number.isInteger(retained) ||
    retained < 1 || retained > MAX_CHECKPOINTS_RETAINED
  ) {
    throw bad(
      "checkpoints_retained",
      `must be an integer from 1 to ${MAX_CHECKPOINTS_RETAINED}`,
      retained,
    );
  }
  return { guarantee, retained };
}
