/**
 * `deno task bench [--quick] [--only=a,b]`: runs every benchmark script in
 * its own process, one after another, and writes bench/report.md and
 * bench/report.json. Each script measures its figures beside a baseline in
 * the same run, so the ratios are what to compare across machines. Scripts
 * that need Kafka get the dev broker (`bash scripts/kafka.sh start`) unless
 * FS_KAFKA_BOOTSTRAP names another one.
 * @module
 */
import { type BenchRun, renderReport, suiteReport } from "./_report.ts";
import type { BenchResult } from "./_result.ts";
import { loadAverage } from "./_stats.ts";

interface BenchSpec {
  script: string;
  kafka: boolean;
  /** Extra arguments for --quick (scripts that do not read --quick). */
  quickArgs?: string[];
}

const BENCHES: BenchSpec[] = [
  { script: "pipeline_bench.ts", kafka: false },
  { script: "footprint_bench.ts", kafka: false },
  { script: "isolation_bench.ts", kafka: false },
  { script: "kafka_bench.ts", kafka: true },
  { script: "scale_bench.ts", kafka: true },
  { script: "loop_profile_bench.ts", kafka: true },
  { script: "isolate_bench.ts", kafka: false, quickArgs: ["--records=5000"] },
  { script: "state_bench.ts", kafka: false, quickArgs: ["--rounds=1"] },
  { script: "checkpoint_bench.ts", kafka: false },
  { script: "sandbox_state_bench.ts", kafka: false },
  { script: "recovery_bench.ts", kafka: true },
];

const here = new URL(".", import.meta.url).pathname;
const repo = new URL("../../", import.meta.url).pathname;
const reportDir = `${repo}bench/`;
const quick = Deno.args.includes("--quick");
const only = Deno.args.find((a) => a.startsWith("--only="))?.slice(7)
  .split(",").map((s) => s.endsWith(".ts") ? s : `${s}.ts`);

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

function cpuModel(): string {
  try {
    const info = Deno.readTextFileSync("/proc/cpuinfo");
    return info.match(/^model name\s*:\s*(.+)$/m)?.[1] ?? "unknown CPU";
  } catch {
    return "unknown CPU";
  }
}

async function gitState(): Promise<{ commit: string; dirty: boolean } | null> {
  const git = async (...args: string[]) => {
    const out = await new Deno.Command("git", {
      args,
      cwd: repo,
      stdout: "piped",
      stderr: "null",
    })
      .output();
    if (!out.success) throw new Error(`git ${args[0]} failed`);
    return new TextDecoder().decode(out.stdout).trim();
  };
  try {
    const commit = await git("rev-parse", "HEAD");
    const dirty =
      (await git("status", "--porcelain", "--untracked-files=no")) !== "";
    return { commit, dirty };
  } catch {
    return null;
  }
}

async function ensureKafka(): Promise<void> {
  if (Deno.env.get("FS_KAFKA_BOOTSTRAP")) return;
  const out = await new Deno.Command("bash", {
    args: [`${repo}scripts/kafka.sh`, "start"],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!out.success) {
    throw new Error(
      "Cannot run the Kafka benchmarks as the dev broker did not start: see the output of scripts/kafka.sh above",
    );
  }
}

async function runOne(spec: BenchSpec): Promise<BenchRun> {
  console.log(`== ${spec.script}`);
  const jsonPath = await Deno.makeTempFile({
    prefix: "fs-bench-",
    suffix: ".json",
  });
  const loadAtStart = loadAverage()?.[0] ?? null;
  const t = performance.now();
  const extra = quick ? ["--quick", ...(spec.quickArgs ?? [])] : [];
  const child = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", `${here}${spec.script}`, ...extra],
    env: { FS_BENCH_JSON: jsonPath },
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const seconds = (performance.now() - t) / 1000;
  const text = new TextDecoder().decode(child.stdout);
  console.log(text);
  let result: BenchResult | null = null;
  try {
    const json = await Deno.readTextFile(jsonPath);
    if (json.trim() !== "") result = JSON.parse(json);
  } finally {
    await Deno.remove(jsonPath).catch(() => {});
  }
  return {
    script: spec.script,
    ok: child.success,
    seconds,
    loadAtStart,
    result,
    text,
  };
}

const started = new Date();
const loadStart = loadAverage();
const t0 = performance.now();
const selected = BENCHES.filter((b) =>
  exists(`${here}${b.script}`) &&
  (only === undefined || only.includes(b.script))
);
if (selected.some((b) => b.kafka)) await ensureKafka();
const runs: BenchRun[] = [];
for (const spec of selected) runs.push(await runOne(spec));

const report = suiteReport({
  started: started.toISOString(),
  seconds: (performance.now() - t0) / 1000,
  mode: quick ? "quick" : "full",
  cores: navigator.hardwareConcurrency,
  cpu: cpuModel(),
  deno: Deno.version.deno,
  load: { start: loadStart, end: loadAverage() },
  command: `deno task bench${quick ? " --quick" : ""}`,
  git: await gitState(),
}, runs);
await Deno.mkdir(reportDir, { recursive: true });
await Deno.writeTextFile(`${reportDir}report.md`, renderReport(report));
await Deno.writeTextFile(
  `${reportDir}report.json`,
  JSON.stringify(report, null, 2) + "\n",
);
console.log(`report written to ${reportDir}report.md and report.json`);
if (runs.some((r) => !r.ok)) Deno.exit(1);
