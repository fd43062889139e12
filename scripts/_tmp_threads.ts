import { BenchProducer, benchTopic, createTopics, deleteTopics, OutputWatcher } from "./bench/_kafka_kit.ts";
import { createMetricFunction, startBenchServer } from "./bench/_server_kit.ts";
import { metricMessages } from "./bench/_operator.ts";
import { isolateProcesses } from "../runtime/isolate/_test_util.ts";
const iso = (Deno.args[0] ?? "process") as "process" | "worker";
const N = 60000;
function threads(pid: number): Map<string, number> {
  const m = new Map<string, number>();
  for (const t of Deno.readDirSync(`/proc/${pid}/task`)) {
    try {
      const stat = Deno.readTextFileSync(`/proc/${pid}/task/${t.name}/stat`);
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")).replace(/[0-9]+$/, "#");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      m.set(comm, (m.get(comm) ?? 0) + (Number(f[11]) + Number(f[12])) / 100);
    } catch { /* */ }
  }
  return m;
}
const server = await startBenchServer({ isolation: iso });
const input = benchTopic("thr-in"), output = benchTopic("thr-out");
await createTopics([{ topic: input, partitions: 1 }, { topic: output, partitions: 1 }]);
const p = await BenchProducer.open();
const msgs = metricMessages(N).values;
for (let i = 0; i < N; i += 1000) await p.send(input, msgs.slice(i, i + 1000));
await p.close();
const w = await OutputWatcher.open(output);
await new Promise((r) => setTimeout(r, 3000));
const before = [server.pid, ...isolateProcesses(server.pid)].map((pid) => [pid, threads(pid)] as const);
const t0 = performance.now();
await createMetricFunction(server, { name: "thr", inputTopic: input, partition: 0, outputTopic: output });
await w.waitUntil(() => w.arrivals.length >= N, 120000);
console.log(iso, "wall", ((performance.now() - t0) / 1000).toFixed(1), "s");
for (const pid of [server.pid, ...isolateProcesses(server.pid)]) {
  const b = before.find(([p]) => p === pid)?.[1] ?? new Map();
  const a = threads(pid);
  const rows = [...a].map(([k, v]) => [k, v - (b.get(k) ?? 0)] as const).filter(([, v]) => v > 0.05).sort((x, y) => y[1] - x[1]);
  console.log(pid === server.pid ? "server" : "child " + pid, rows.map(([k, v]) => `${k}=${v.toFixed(2)}`).join(" "));
}
await w.close();
await server.stop();
await deleteTopics([input, output]);
Deno.exit(0);
