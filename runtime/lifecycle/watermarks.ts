/**
 * Event time, without I/O: per-partition watermarks from record timestamps
 * and watermark markers, combined into one watermark per input group.
 *
 * A watermark W says: every record with a timestamp of W or less has been
 * read (within the out-of-orderness bound). A marker is a record with header
 * `fs-watermark` (written by `ctx.emit_watermark` upstream); its value is a
 * watermark. A partition's watermark is, with source "timestamps",
 * `max(max timestamp seen - maxOutOfOrdernessMs - 1, largest marker)`, and
 * with source "markers", the largest marker (record timestamps of a topic
 * written by a function are write times, which would overtake its markers).
 * A group's watermark is the minimum over the partitions of its inputs that
 * are not idle; a partition is idle after `idleTimeoutMs` without records.
 * @module
 */
import type { InputRecord } from "../core/mod.ts";
import { WATERMARK_HEADER } from "../isolate/mod.ts";

/** Options for {@link WatermarkTracker}. */
export interface WatermarkTrackerOptions {
  /** How far behind the largest timestamp a record may still arrive, in ms. */
  maxOutOfOrdernessMs: number;
  /** A partition without records for this long stops holding back its group; 0 = never. */
  idleTimeoutMs: number;
  /** What drives a partition's watermark: timestamps (and markers) or markers only. */
  source: "timestamps" | "markers";
}

interface PartitionClock {
  sourceId: number;
  /** Largest record timestamp seen (markers excluded). */
  maxTimestamp: number;
  /** Largest marker watermark seen. */
  marker: number;
  /** When the partition was assigned or last delivered a record. */
  lastActive: number;
}

/**
 * Returns what a record is for event time: `{ marker: W }` for a valid
 * watermark marker, `{ marker: null }` for a marker whose value is not an
 * integer (ignored), or null for a data record.
 */
export function markerOf(
  record: InputRecord,
): { marker: number | null } | null {
  let header: Uint8Array | null | undefined;
  for (const h of record.headers) {
    if (h.key === WATERMARK_HEADER) header = h.value;
  }
  if (header === undefined) return null;
  const text = header === null ? "" : new TextDecoder().decode(header).trim();
  const value = /^-?\d{1,16}$/.test(text) ? Number(text) : NaN;
  return { marker: Number.isSafeInteger(value) ? value : null };
}

function partitionKey(topic: string, partition: number): string {
  return `${partition}:${topic}`;
}

/** Tracks the watermark of every partition read and derives group watermarks. */
export class WatermarkTracker {
  readonly #options: WatermarkTrackerOptions;
  readonly #partitions = new Map<string, PartitionClock>();
  /** Partition keys per topic, for {@link WatermarkTracker.assign}. */
  readonly #byTopic = new Map<string, Set<string>>();

  /** Creates a tracker that knows no partition yet. */
  constructor(options: WatermarkTrackerOptions) {
    this.#options = options;
  }

  /**
   * Sets the partitions an input currently reads. New ones hold back their
   * group (from `now`) until they deliver records or go idle; partitions no
   * longer listed (revoked) stop counting.
   */
  assign(
    input: { sourceId: number; topic: string; partitions: number[] },
    now: number,
  ): void {
    const keys = new Set(
      input.partitions.map((p) => partitionKey(input.topic, p)),
    );
    const previous = this.#byTopic.get(input.topic) ?? new Set<string>();
    for (const key of previous) {
      if (!keys.has(key)) this.#partitions.delete(key);
    }
    for (const key of keys) {
      if (this.#partitions.has(key)) continue;
      this.#partitions.set(key, {
        sourceId: input.sourceId,
        maxTimestamp: -Infinity,
        marker: -Infinity,
        lastActive: now,
      });
    }
    this.#byTopic.set(input.topic, keys);
  }

  /**
   * Takes a record into account; returns true when it is a watermark marker
   * (to be handed to `process_watermark` through the group, never to `process`).
   */
  observe(record: InputRecord, now: number): boolean {
    const key = partitionKey(record.topic, record.partition);
    let clock = this.#partitions.get(key);
    if (clock === undefined) {
      clock = {
        sourceId: record.sourceId,
        maxTimestamp: -Infinity,
        marker: -Infinity,
        lastActive: now,
      };
      this.#partitions.set(key, clock);
      const keys = this.#byTopic.get(record.topic) ?? new Set<string>();
      keys.add(key);
      this.#byTopic.set(record.topic, keys);
    }
    clock.lastActive = now;
    const marker = markerOf(record);
    if (marker !== null) {
      if (marker.marker !== null) {
        clock.marker = Math.max(clock.marker, marker.marker);
      }
      return true;
    }
    // Kafka reports -1 for records without a timestamp.
    if (record.timestamp >= 0 && record.timestamp > clock.maxTimestamp) {
      clock.maxTimestamp = record.timestamp;
    }
    return false;
  }

  /**
   * The current watermark of an input group: the minimum over its partitions
   * that are not idle, or null while one of them has no watermark yet or
   * when every partition is idle (the group then keeps its last watermark).
   */
  watermark(sourceId: number, now: number): number | null {
    const { idleTimeoutMs, maxOutOfOrdernessMs, source } = this.#options;
    let min = Infinity;
    for (const clock of this.#partitions.values()) {
      if (clock.sourceId !== sourceId) continue;
      if (idleTimeoutMs > 0 && now - clock.lastActive >= idleTimeoutMs) {
        continue;
      }
      const own = source === "markers"
        ? clock.marker
        : Math.max(clock.marker, clock.maxTimestamp - maxOutOfOrdernessMs - 1);
      if (own < min) min = own;
    }
    return Number.isFinite(min) ? min : null;
  }
}
