/**
 * The suite's report: what run.ts writes to bench/report.md and
 * bench/report.json from every script's output and JSON result.
 * @module
 */
import {
  type BenchResult,
  renderFigures,
  renderTargets,
  type TargetCheck,
} from "./_result.ts";

/** Where and how the suite ran. */
export interface RunInfo {
  /** ISO start time. */
  started: string;
  /** Whole-suite duration in seconds. */
  seconds: number;
  /** "full" or "quick". */
  mode: "full" | "quick";
  /** Logical CPUs. */
  cores: number;
  /** CPU model name. */
  cpu: string;
  /** Deno version. */
  deno: string;
  /** Load averages (1, 5, 15 min) when the suite started and ended. */
  load: { start: number[] | null; end: number[] | null };
  /** The command that reproduces it. */
  command: string;
  /** Git commit of the tree, and whether it had uncommitted changes. */
  git: { commit: string; dirty: boolean } | null;
}

/** One script's run. */
export interface BenchRun {
  /** Script file name. */
  script: string;
  /** Whether it exited with 0. */
  ok: boolean;
  /** How long it ran, seconds. */
  seconds: number;
  /** 1-minute load average when it started. */
  loadAtStart: number | null;
  /** Its structured result, when it writes one. */
  result: BenchResult | null;
  /** What it printed on stdout. */
  text: string;
}

/** The whole report as written to report.json. */
export interface SuiteReport {
  /** Where and how it ran. */
  run: RunInfo;
  /** Every target check of every script, in script order. */
  targets: TargetCheck[];
  /** Every script's run. */
  benches: BenchRun[];
}

/** Builds the JSON report. */
export function suiteReport(run: RunInfo, benches: BenchRun[]): SuiteReport {
  return {
    run,
    targets: benches.flatMap((b) => b.result?.targets ?? []),
    benches,
  };
}

/** Renders the Markdown report. */
export function renderReport(report: SuiteReport): string {
  const { run } = report;
  const load = (l: number[] | null) => l ? l.join(" ") : "unknown";
  const parts = [
    "# Function Stream benchmarks",
    [
      `- Command: \`${run.command}\` (${run.mode} run, ${
        run.seconds.toFixed(0)
      } s)`,
      `- Started: ${run.started}`,
      `- Machine: ${run.cores} cores, ${run.cpu}; Deno ${run.deno}`,
      `- Tree: ${
        run.git
          ? `${run.git.commit.slice(0, 12)}${
            run.git.dirty ? " plus uncommitted changes" : ""
          }`
          : "unknown"
      }`,
      `- Load average (1/5/15 min): ${load(run.load.start)} at start, ${
        load(run.load.end)
      } at end (other work on the machine skews absolute figures; ratios are measured in the same run)`,
    ].join("\n"),
    "## Targets",
    report.targets.length > 0
      ? renderTargets(report.targets)
      : "No target was checked.",
  ];
  for (const bench of report.benches) {
    const status = bench.ok ? "" : " (FAILED)";
    parts.push(
      `## ${bench.script}${status}\n\n${bench.seconds.toFixed(0)} s, load ${
        bench.loadAtStart ?? "unknown"
      } at start`,
    );
    if (bench.result !== null) {
      parts.push(renderFigures(bench.result.figures));
      if (bench.result.notes.length > 0) {
        parts.push(bench.result.notes.map((n) => `- ${n}`).join("\n"));
      }
    } else {
      parts.push("```\n" + (bench.text.trim() || "(no output)") + "\n```");
    }
  }
  return parts.join("\n\n") + "\n";
}
