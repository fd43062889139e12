/**
 * Recovery time of a checkpointed function after a server crash: from
 * spawning the server again after a SIGKILL to the first NEW output record
 * of its keyed counter (read read_committed), p50 over a few crashes, for
 * exactly-once and at-least-once. The baseline, measured in the same run,
 * is a fresh server's spawn to the first output of a function created on
 * it (same operator, config and input). Also measured: a worker crash
 * with the server up (Engine.crashWorker on an engine in this process) to
 * the first new output, beside creating a function on that engine, and (full
 * runs) one server recovery with the default session.timeout.ms. Input
 * arrives at a steady rate the whole time, so a restarted function always
 * has new work.
 *
 *   deno run -A scripts/bench/recovery_bench.ts [--quick] [--runs=N]
 * @module
 */
import { Buffer } from "node:buffer";
import { Kafka, logLevel, Partitioners } from "kafkajs";
import { createFunction } from "../../tests/_lifecycle_util.ts";
import {
  COUNTER_CLASS,
  COUNTER_SOURCE,
  counterTaskYaml,
} from "../../tests/helpers/keyed_counter.ts";
import { OutputWatcher } from "../../tests/helpers/output_watcher.ts";
import { RestartableServer } from "../../tests/helpers/restartable_server.ts";
import { startEngine } from "../../tests/helpers/engine_host.ts";
import {
  benchTopic,
  bootstrap,
  createTopics,
  deleteTopics,
} from "./_kafka_kit.ts";
import { argValue, BenchReport, isQuick } from "./_result.ts";
import { fmt, median, sleep } from "./_stats.ts";

type Guarantee = "exactly_once" | "at_least_once";

const quick = isQuick();
const RUNS = Number(argValue("runs") ?? (quick ? 2 : 4));
/** Input records per second while the bench runs. */
const RATE = 2_000;
const KEYS = 1_000;
const PARTITIONS = 2;
const FIRST_OUTPUT_TIMEOUT_MS = 90_000;
const report = new BenchReport("recovery_bench", { quick });
const encoder = new TextEncoder();
const topics: string[] = [];

async function newTopic(prefix: string, partitions: number): Promise<string> {
  const topic = benchTopic(prefix);
  await createTopics([{ topic, partitions }]);
  topics.push(topic);
  return topic;
}

/** Writes keyed records to `topic` at `RATE` per second until stopped. */
function steadyInput(topic: string): { stop(): Promise<void> } {
  const producer = new Kafka({
    brokers: [bootstrap()],
    clientId: "fs-bench-recovery",
    logLevel: logLevel.NOTHING,
  }).producer({ createPartitioner: Partitioners.DefaultPartitioner });
  let running = true;
  const loop = (async () => {
    await producer.connect();
    let n = 0;
    while (running) {
      const t = performance.now();
      const messages = Array.from({ length: RATE / 10 }, () => {
        const index = n++ % KEYS;
        const key = `k${String(index).padStart(3, "0")}`;
        return { value: Buffer.from(key), partition: index % PARTITIONS };
      });
      await producer.send({ topic, acks: 1, messages });
      await sleep(Math.max(0, 100 - (performance.now() - t)));
    }
    await producer.disconnect();
  })();
  return {
    async stop() {
      running = false;
      await loop;
    },
  };
}

function taskYaml(
  name: string,
  io: { input: string; output: string },
  options: { guarantee: Guarantee; sessionTimeoutMs?: number | null },
) {
  return counterTaskYaml({ name, ...io, ...options });
}

/** Waits for output record `index` (0-based); returns when it arrived. */
async function arrival(
  watcher: OutputWatcher,
  index: number,
  explain: () => string,
): Promise<number> {
  await watcher.waitForCount(index + 1, {
    timeoutMs: FIRST_OUTPUT_TIMEOUT_MS,
    explain,
  });
  return watcher.arrivalMs(index)!;
}

interface Sample {
  /** Spawn to gRPC listening (server runs only). */
  listenMs: number;
  /** Spawn (or crash) to the first new output. */
  firstMs: number;
}

/** Spawn of a fresh server to the first output of a function created on it. */
async function freshStart(
  input: string,
  guarantee: Guarantee,
  run: number,
): Promise<Sample> {
  const output = await newTopic(`recovery-fresh-out-${run}`, 1);
  const dataDir = await Deno.makeTempDir({ prefix: "fs-bench-recovery-" });
  const server = await RestartableServer.prepare(dataDir);
  const watcher = await OutputWatcher.start(output);
  try {
    const t0 = performance.now();
    await server.restart();
    const listenMs = performance.now() - t0;
    await createFunction(server.client, {
      className: COUNTER_CLASS,
      source: COUNTER_SOURCE,
      yaml: taskYaml(`fresh-${run}`, { input, output }, { guarantee }),
    });
    const first = await arrival(watcher, 0, () => server.logTail(20));
    return { listenMs, firstMs: first - t0 };
  } finally {
    await watcher.close();
    await server.stop();
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
}

/**
 * SIGKILLs a server running a checkpointed function `runs` times, one to
 * three checkpoints apart; spawn to first new output each time.
 */
async function serverRecoveries(
  input: string,
  options: { guarantee: Guarantee; sessionTimeoutMs?: number | null },
  runs: number,
): Promise<Sample[]> {
  const output = await newTopic("recovery-out", 1);
  const dataDir = await Deno.makeTempDir({ prefix: "fs-bench-recovery-" });
  const server = await RestartableServer.start(dataDir);
  const watcher = await OutputWatcher.start(output);
  const explain = () => server.logTail(20);
  const samples: Sample[] = [];
  try {
    await createFunction(server.client, {
      className: COUNTER_CLASS,
      source: COUNTER_SOURCE,
      yaml: taskYaml("recovering", { input, output }, options),
    });
    await arrival(watcher, 0, explain);
    for (let run = 0; run < runs; run++) {
      await sleep(1_000 + Math.random() * 2_000);
      await server.kill();
      await sleep(500); // what the killed server committed reaches the watcher
      const before = watcher.count;
      const t0 = performance.now();
      await server.restart();
      const listenMs = performance.now() - t0;
      const firstMs = (await arrival(watcher, before, explain)) - t0;
      samples.push({ listenMs, firstMs });
      console.error(
        `  server ${options.guarantee} recovery ${run + 1}: listening after ${
          fmt(listenMs)
        } ms, first new output after ${fmt(firstMs)} ms`,
      );
    }
    return samples;
  } finally {
    await watcher.close();
    await server.stop();
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
}

/**
 * On an engine in this process: creating a function to its first output
 * (baseline), then `runs` worker crashes (Engine.crashWorker) of a
 * checkpointed function, each to the first output written after the
 * restart policy started it again.
 */
async function workerRecoveries(
  input: string,
  guarantee: Guarantee,
  runs: number,
): Promise<{ fresh: Sample[]; recovered: Sample[] }> {
  const dataDir = await Deno.makeTempDir({ prefix: "fs-bench-recovery-" });
  const host = await startEngine(dataDir);
  const explain = () => host.logTail(20);
  const fresh: Sample[] = [];
  const recovered: Sample[] = [];
  const watchers: OutputWatcher[] = [];
  const create = async (name: string) => {
    const output = await newTopic(`recovery-${name}`, 1);
    const watcher = await OutputWatcher.start(output);
    watchers.push(watcher);
    const t0 = performance.now();
    await host.engine.createPythonFunction({
      className: COUNTER_CLASS,
      modules: [{
        name: "keyed_counter",
        source: encoder.encode(COUNTER_SOURCE),
      }],
      configYaml: taskYaml(name, { input, output }, { guarantee }),
    });
    const first = await arrival(watcher, 0, explain);
    return { watcher, firstMs: first - t0 };
  };
  try {
    for (let run = 0; run < runs; run++) {
      const name = `fresh-${guarantee}-${run}`;
      const { firstMs } = await create(name);
      fresh.push({ listenMs: 0, firstMs });
      // Measured: it would only compete with the next ones for the CPU.
      await host.engine.dropFunction(name);
    }
    const name = `crashing-${guarantee}`;
    const { watcher } = await create(name);
    for (let run = 0; run < runs; run++) {
      await sleep(1_000 + Math.random() * 2_000);
      const starts = host.events("function started", name);
      const t0 = performance.now();
      host.engine.crashWorker(name);
      while (host.events("function started", name) === starts) {
        if (performance.now() - t0 > FIRST_OUTPUT_TIMEOUT_MS) {
          throw new Error(
            `Cannot measure a worker recovery as ${name} did not start again within ${FIRST_OUTPUT_TIMEOUT_MS} ms\n${explain()}`,
          );
        }
        await sleep(10);
      }
      // The first record that arrived after the new worker started.
      const startedAt = host.lastEventMs("function started", name)!;
      let index = 0;
      while (
        index < watcher.count && watcher.arrivalMs(index)! < startedAt
      ) index++;
      const firstMs = (await arrival(watcher, index, explain)) - t0;
      recovered.push({ listenMs: 0, firstMs });
      console.error(
        `  worker ${guarantee} recovery ${run + 1}: first new output after ${
          fmt(firstMs)
        } ms`,
      );
    }
    return { fresh, recovered };
  } finally {
    await Promise.all(watchers.map((w) => w.close()));
    await host.close();
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
}

function p50(samples: Sample[], key: keyof Sample): number | null {
  return samples.length === 0 ? null : median(samples.map((s) => s[key]));
}

const input = await newTopic("recovery-in", PARTITIONS);
const producer = steadyInput(input);
try {
  for (const guarantee of ["exactly_once", "at_least_once"] as const) {
    const label = guarantee.replace(/_/g, "-");
    const fresh: Sample[] = [];
    for (let run = 0; run < RUNS; run++) {
      fresh.push(await freshStart(input, guarantee, run));
    }
    const recovered = await serverRecoveries(input, { guarantee }, RUNS);
    report.figure({
      id: `recovery.server.${guarantee}.first_output_p50_ms`,
      label:
        `server restart after SIGKILL to first new output, ${label} (p50 of ${RUNS})`,
      value: p50(recovered, "firstMs"),
      unit: "ms",
      baseline: {
        label: "fresh server spawn to first output of a new function",
        value: p50(fresh, "firstMs"),
      },
    });
    report.figure({
      id: `recovery.server.${guarantee}.listen_p50_ms`,
      label:
        `server restart after SIGKILL to gRPC listening, ${label} (p50 of ${RUNS})`,
      value: p50(recovered, "listenMs"),
      unit: "ms",
      baseline: {
        label: "fresh server spawn to listening",
        value: p50(fresh, "listenMs"),
      },
    });
    report.note(
      `${label} server recoveries (ms, spawn to first new output): ${
        recovered.map((s) => fmt(s.firstMs)).join(", ")
      }; fresh starts: ${fresh.map((s) => fmt(s.firstMs)).join(", ")}`,
    );
    const worker = await workerRecoveries(input, guarantee, RUNS);
    report.figure({
      id: `recovery.worker.${guarantee}.first_output_p50_ms`,
      label:
        `worker crash to first new output, server up, ${label} (p50 of ${RUNS})`,
      value: p50(worker.recovered, "firstMs"),
      unit: "ms",
      baseline: {
        label: "creating a function on the running server to its first output",
        value: p50(worker.fresh, "firstMs"),
      },
    });
    report.note(
      `${label} worker recoveries (ms): ${
        worker.recovered.map((s) => fmt(s.firstMs)).join(", ")
      }; fresh creates: ${worker.fresh.map((s) => fmt(s.firstMs)).join(", ")}`,
    );
    if (!quick && guarantee === "exactly_once") {
      // What a user gets without lowering session.timeout.ms.
      const [slow] = await serverRecoveries(
        input,
        { guarantee, sessionTimeoutMs: null },
        1,
      );
      report.figure({
        id: "recovery.server.exactly_once.default_session_ms",
        label:
          "server restart after SIGKILL to first new output, exactly-once, default session.timeout.ms (1 run)",
        value: slow.firstMs,
        unit: "ms",
        baseline: {
          label: "the same with session.timeout.ms 6000",
          value: p50(recovered, "firstMs"),
        },
      });
    }
  }
} finally {
  await producer.stop();
  await deleteTopics(topics);
}
report.note(
  `Keyed counter (tests/helpers/keyed_counter.ts) reading ${PARTITIONS} partitions of one topic through a consumer group, fed at ${RATE} records/s; checkpoint every 1 s. Unless noted the input's session.timeout.ms is 6000 (the broker's least): a SIGKILLed server's group members are only evicted when their session expires, and the restarted server's consumers get their partitions after that, so this timeout bounds server recovery from below.`,
);
report.note(
  "Exactly-once output becomes visible at the first checkpoint after recovery (up to 1 s after at-least-once, which writes at once). The server baseline's spawn includes a CreatePythonFunction call; the recovery includes reading the registry and the last checkpoint. Worker recoveries run on an engine in the bench process (restart_backoff_seconds 0.1).",
);
await report.finish();
