/**
 * `deno task bench`: runs every benchmark script in turn and writes their
 * tables to bench/report.md. Each script measures its figures beside a
 * baseline in the same run, so the ratios are what to compare across machines.
 * @module
 */

const BENCHES = ["isolate_bench.ts", "state_bench.ts"];
const here = new URL(".", import.meta.url).pathname;
const reportDir = new URL("../../bench/", import.meta.url).pathname;

const sections: string[] = [
  `# Function Stream benchmarks\n\nRun: ${
    new Date().toISOString()
  }, ${navigator.hardwareConcurrency} cores, Deno ${Deno.version.deno}\n`,
];
let failed = false;
for (const bench of BENCHES) {
  console.log(`== ${bench}`);
  const result = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", `${here}${bench}`, ...Deno.args],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const text = new TextDecoder().decode(result.stdout);
  console.log(text);
  if (!result.success) failed = true;
  sections.push(`## ${bench}\n\n\`\`\`\n${text.trim()}\n\`\`\`\n`);
}
await Deno.mkdir(reportDir, { recursive: true });
await Deno.writeTextFile(`${reportDir}report.md`, sections.join("\n"));
console.log(`report written to ${reportDir}report.md`);
if (failed) Deno.exit(1);
