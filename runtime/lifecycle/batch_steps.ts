/**
 * Splits a polled batch into the calls the isolate gets, in stream order:
 * `process` for runs of data records and `process_watermark` where a
 * group's watermark advanced. Markers are consumed (their positions count)
 * but never reach `process`.
 * @module
 */
import type { InputRecord } from "../core/mod.ts";
import type { WatermarkTracker } from "./watermarks.ts";

/** One call of a batch, with the records read since the previous step. */
export type BatchStep =
  | {
    kind: "process";
    /** Data records to hand to `process`, in read order (may be empty). */
    records: InputRecord[];
    /** Every record consumed by this step (data and markers), for positions. */
    read: InputRecord[];
  }
  | {
    kind: "watermark";
    /** The input group whose watermark advanced. */
    sourceId: number;
    /** The new watermark, in milliseconds. */
    watermark: number;
    /** Markers consumed just before this step, for positions. */
    read: InputRecord[];
  };

/** Options for {@link BatchPlanner}. */
export interface BatchPlannerOptions {
  /** Number of input groups. */
  groupCount: number;
  /** Least time between two watermark calls of one group; 0 = at every advance. */
  intervalMs: number;
}

interface Advance {
  /** Index of the record after which the watermark is due; -1 = before all. */
  after: number;
  sourceId: number;
  watermark: number;
}

/**
 * Turns batches into steps and remembers, per group, the last watermark
 * handed out, so watermarks only ever move forward.
 */
export class BatchPlanner {
  readonly #tracker: WatermarkTracker;
  readonly #options: BatchPlannerOptions;
  readonly #emitted: number[];
  readonly #emittedAt: number[];

  /** Creates a planner over a tracker (which the planner feeds). */
  constructor(tracker: WatermarkTracker, options: BatchPlannerOptions) {
    this.#tracker = tracker;
    this.#options = options;
    this.#emitted = new Array(options.groupCount).fill(-Infinity);
    this.#emittedAt = new Array(options.groupCount).fill(-Infinity);
  }

  /** The last watermark handed out for a group, or null before the first. */
  lastWatermark(sourceId: number): number | null {
    const value = this.#emitted[sourceId];
    return Number.isFinite(value) ? value : null;
  }

  /**
   * Plans one batch (possibly empty: idle partitions can still advance a
   * group). With an interval, a group's watermark call is placed after its
   * last advance in the batch, once the interval since its previous call
   * has passed; without, after every advance.
   */
  plan(records: InputRecord[], now: number): BatchStep[] {
    const markers = new Set<number>();
    const advances = this.#advances(records, now, markers);
    const chosen = this.#choose(advances, now);
    const steps: BatchStep[] = [];
    let data: InputRecord[] = [];
    let read: InputRecord[] = [];
    let next = 0;
    const flush = () => {
      if (data.length > 0) {
        steps.push({ kind: "process", records: data, read });
        data = [];
        read = [];
      }
    };
    for (let i = -1; i < records.length; i++) {
      if (i >= 0) {
        read.push(records[i]);
        if (!markers.has(i)) data.push(records[i]);
      }
      while (next < chosen.length && chosen[next].after === i) {
        flush();
        const { sourceId, watermark } = chosen[next++];
        steps.push({ kind: "watermark", sourceId, watermark, read });
        read = [];
        this.#emitted[sourceId] = watermark;
        this.#emittedAt[sourceId] = now;
      }
    }
    if (data.length > 0 || read.length > 0) {
      steps.push({ kind: "process", records: data, read });
    }
    return steps;
  }

  #advances(
    records: InputRecord[],
    now: number,
    markers: Set<number>,
  ): Advance[] {
    const best = [...this.#emitted];
    const advances: Advance[] = [];
    for (let i = 0; i < records.length; i++) {
      const record = records[i];
      if (this.#tracker.observe(record, now)) markers.add(i);
      const watermark = this.#tracker.watermark(record.sourceId, now);
      if (watermark !== null && watermark > best[record.sourceId]) {
        best[record.sourceId] = watermark;
        advances.push({ after: i, sourceId: record.sourceId, watermark });
      }
    }
    // Idleness depends on time only, so other groups can advance too.
    for (let g = 0; g < best.length; g++) {
      const watermark = this.#tracker.watermark(g, now);
      if (watermark !== null && watermark > best[g]) {
        best[g] = watermark;
        advances.push({ after: records.length - 1, sourceId: g, watermark });
      }
    }
    return advances;
  }

  #choose(advances: Advance[], now: number): Advance[] {
    const { intervalMs } = this.#options;
    if (intervalMs === 0) return advances;
    const last = new Map<number, Advance>();
    for (const advance of advances) {
      if (now - this.#emittedAt[advance.sourceId] >= intervalMs) {
        last.set(advance.sourceId, advance);
      }
    }
    return [...last.values()].sort((a, b) =>
      a.after - b.after || a.sourceId - b.sourceId
    );
  }
}
