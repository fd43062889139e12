/**
 * What a benchmark script reports: figures (each beside its baseline),
 * target checks and notes. A script prints them as Markdown tables and, when
 * env FS_BENCH_JSON names a file, writes them there as JSON for run.ts.
 * @module
 */
import { fmt } from "./_stats.ts";

/** One measured figure, optionally beside the baseline measured in the same run. */
export interface Figure {
  /** Stable key, e.g. "inmemory.msg_per_s". */
  id: string;
  /** What was measured. */
  label: string;
  /** The measured value (null when it could not be measured). */
  value: number | null;
  /** Unit of value and baseline. */
  unit: string;
  /** What value is compared with, measured in the same run. */
  baseline?: { label: string; value: number | null };
  /** value / baseline.value. */
  ratio?: number | null;
  /** Anything a reader needs to interpret the figure. */
  note?: string;
}

/** One target of the issue, checked against a measured value. */
export interface TargetCheck {
  /** Stable key, e.g. "throughput.inmemory". */
  id: string;
  /** The target in words, e.g. "throughput >= 0.8x native CPython". */
  target: string;
  /** The measured value. */
  value: number | null;
  /** The limit the value is compared with. */
  limit: number;
  /** Unit of value and limit. */
  unit: string;
  /** Whether it was reached; null when not measured. */
  reached: boolean | null;
  /** How far from the target, in words. */
  gap: string;
}

/** Everything one benchmark script reports. */
export interface BenchResult {
  /** Script name. */
  bench: string;
  /** Whether it ran with --quick. */
  quick: boolean;
  /** Measured figures. */
  figures: Figure[];
  /** Target checks. */
  targets: TargetCheck[];
  /** Free-text notes (method, caveats). */
  notes: string[];
}

/** Checks `value >= limit` and words the gap. */
export function atLeast(
  id: string,
  target: string,
  measured: { value: number | null; limit: number; unit: string },
): TargetCheck {
  const { value, limit, unit } = measured;
  if (value === null || !Number.isFinite(value)) {
    return {
      id,
      target,
      value: null,
      limit,
      unit,
      reached: null,
      gap: "not measured",
    };
  }
  const reached = value >= limit;
  const gap = reached
    ? `reached (${fmt(value)} ${unit})`
    : `missed: ${fmt(value)} ${unit} is ${fmt((value / limit) * 100)}% of ${
      fmt(limit)
    } ${unit} (short by ${fmt(limit - value)} ${unit})`;
  return { id, target, value, limit, unit, reached, gap };
}

/** Checks `value <= limit` and words the gap. */
export function atMost(
  id: string,
  target: string,
  measured: { value: number | null; limit: number; unit: string },
): TargetCheck {
  const { value, limit, unit } = measured;
  if (value === null || !Number.isFinite(value)) {
    return {
      id,
      target,
      value: null,
      limit,
      unit,
      reached: null,
      gap: "not measured",
    };
  }
  const reached = value <= limit;
  const gap = reached
    ? `reached (${fmt(value)} ${unit})`
    : `missed: ${fmt(value)} ${unit} is ${fmt(value / limit)}x the limit of ${
      fmt(limit)
    } ${unit} (over by ${fmt(value - limit)} ${unit})`;
  return { id, target, value, limit, unit, reached, gap };
}

/** Renders figures as a Markdown table. */
export function renderFigures(figures: readonly Figure[]): string {
  const lines = [
    "| Measure | Value | Baseline | Ratio |",
    "| --- | ---: | --- | ---: |",
  ];
  for (const f of figures) {
    const value = `${fmt(f.value)} ${f.unit}`;
    const baseline = f.baseline
      ? `${fmt(f.baseline.value)} ${f.unit} (${f.baseline.label})`
      : "";
    const ratio = f.ratio === undefined ? "" : `${fmt(f.ratio)}x`;
    const label = f.note ? `${f.label} (${f.note})` : f.label;
    lines.push(`| ${label} | ${value} | ${baseline} | ${ratio} |`);
  }
  return lines.join("\n");
}

/** Renders target checks as a Markdown table. */
export function renderTargets(targets: readonly TargetCheck[]): string {
  const lines = ["| Target | Status | Detail |", "| --- | --- | --- |"];
  for (const t of targets) {
    const status = t.reached === null
      ? "not measured"
      : t.reached
      ? "reached"
      : "MISSED";
    lines.push(`| ${t.target} | ${status} | ${t.gap} |`);
  }
  return lines.join("\n");
}

/** Collects a script's figures, targets and notes, then prints and saves them. */
export class BenchReport {
  readonly #result: BenchResult;

  /** Starts an empty report for script `bench`. */
  constructor(bench: string, options: { quick: boolean }) {
    this.#result = {
      bench,
      quick: options.quick,
      figures: [],
      targets: [],
      notes: [],
    };
  }

  /** Adds a figure; the ratio is computed when a baseline is given. */
  figure(figure: Omit<Figure, "ratio">): void {
    const base = figure.baseline?.value;
    const ratio = figure.baseline === undefined
      ? undefined
      : base && figure.value !== null
      ? figure.value / base
      : null;
    this.#result.figures.push(
      ratio === undefined ? { ...figure } : { ...figure, ratio },
    );
    console.error(
      `  ${figure.label}: ${fmt(figure.value)} ${figure.unit}${
        base !== undefined ? ` (baseline ${fmt(base)})` : ""
      }`,
    );
  }

  /** Adds a target check. */
  target(check: TargetCheck): void {
    this.#result.targets.push(check);
  }

  /** Adds a note. */
  note(text: string): void {
    this.#result.notes.push(text);
  }

  /** The result so far. */
  get result(): BenchResult {
    return this.#result;
  }

  /** Prints the tables to stdout and writes the JSON file named by FS_BENCH_JSON. */
  async finish(): Promise<void> {
    const r = this.#result;
    const parts = [renderFigures(r.figures)];
    if (r.targets.length > 0) parts.push(renderTargets(r.targets));
    if (r.notes.length > 0) parts.push(r.notes.map((n) => `- ${n}`).join("\n"));
    console.log(parts.join("\n\n"));
    const path = Deno.env.get("FS_BENCH_JSON");
    if (path) await Deno.writeTextFile(path, JSON.stringify(r, null, 2));
  }
}

/** Reads `--name=value` from the script's arguments. */
export function argValue(name: string): string | undefined {
  const prefix = `--${name}=`;
  return Deno.args.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}

/** Whether `--quick` was passed. */
export function isQuick(): boolean {
  return Deno.args.includes("--quick");
}
