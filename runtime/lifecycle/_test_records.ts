/**
 * Records for the lifecycle unit tests.
 * @module
 */
import type { InputRecord } from "../core/mod.ts";

const encoder = new TextEncoder();

/** A data record of `topic` partition `partition` with a timestamp. */
export function at(
  timestamp: number,
  options: { partition?: number; topic?: string; sourceId?: number } = {},
): InputRecord {
  return {
    sourceId: options.sourceId ?? 0,
    topic: options.topic ?? "t",
    partition: options.partition ?? 0,
    offset: 0n,
    key: null,
    value: encoder.encode(String(timestamp)),
    headers: [],
    timestamp,
  };
}

/** A watermark marker record, as `ctx.emit_watermark` writes it. */
export function marker(
  watermark: number | string,
  options: { partition?: number; topic?: string; sourceId?: number } = {},
): InputRecord {
  return {
    ...at(Date.now(), options),
    value: new Uint8Array(0),
    headers: [{
      key: "fs-watermark",
      value: encoder.encode(String(watermark)),
    }],
  };
}
