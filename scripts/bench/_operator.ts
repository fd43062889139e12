/**
 * The operator every benchmark runs: the seed's MetricProcessor, cut
 * verbatim out of tests/e2e/seed_example.py, and the messages it is fed.
 * @module
 */

const SEED_EXAMPLE = new URL(
  "../../tests/e2e/seed_example.py",
  import.meta.url,
);
import type { InputRecord } from "../../runtime/core/mod.ts";

const encoder = new TextEncoder();

/** Name of the operator class. */
export const METRIC_CLASS = "MetricProcessor";

/**
 * Returns the seed's MetricProcessor module source: the example file from
 * its first line up to the fs_client part (imports and class only).
 *
 * @throws {Error} when the example no longer has that shape.
 */
export async function metricProcessorSource(): Promise<string> {
  const text = await Deno.readTextFile(SEED_EXAMPLE);
  const start = text.indexOf("from fs_api import");
  const end = text.indexOf("from fs_client");
  if (start < 0 || end < start || !text.includes(`class ${METRIC_CLASS}(`)) {
    throw new Error(
      `Cannot cut MetricProcessor out of ${SEED_EXAMPLE.pathname} as its layout changed: current length is ${text.length}`,
    );
  }
  return text.slice(start, end).trimEnd() + "\n";
}

/** A message set and what MetricProcessor must end with after it. */
export interface MetricMessages {
  /** Message values, `{"value": v}` (v cycles through 1..5). */
  values: Uint8Array[];
  /** Sum of the values: the last `total` MetricProcessor emits on fresh state. */
  total: number;
}

/** Builds `n` messages in the seed's format (`{"value": v}`, v = 1 + i % 5). */
export function metricMessages(n: number): MetricMessages {
  const values: Uint8Array[] = [];
  let total = 0;
  for (let i = 0; i < n; i++) {
    const v = 1 + (i % 5);
    total += v;
    values.push(encoder.encode(JSON.stringify({ value: v })));
  }
  return { values, total };
}

/** Decodes one MetricProcessor output, `{"metric": ..., "total": ...}`. */
export function parseMetricOutput(
  value: Uint8Array,
): { metric: string; total: number } {
  const parsed = JSON.parse(new TextDecoder().decode(value));
  if (typeof parsed?.metric !== "string" || typeof parsed?.total !== "number") {
    throw new Error(
      `Cannot read a MetricProcessor output as it lacks metric or total: current value is ${
        new TextDecoder().decode(value).slice(0, 80)
      }`,
    );
  }
  return parsed;
}

/**
 * Input records carrying `values` in order, as a source would hand them to
 * an isolate: topic "in", partition 0, offsets from `firstOffset`, no key,
 * headers or timestamp.
 */
export function inputRecords(
  values: Uint8Array[],
  firstOffset = 0,
): InputRecord[] {
  return values.map((value, i) => ({
    sourceId: 0,
    topic: "in",
    partition: 0,
    offset: BigInt(firstOffset + i),
    key: null,
    value,
    headers: [],
    timestamp: 0,
  }));
}
