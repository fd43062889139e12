/**
 * The seed's workflow end to end: a real broker, the real server, and the
 * seed's three Python examples run verbatim (only the Kafka address and the
 * server's host and port replaced).
 */
import assert from "node:assert/strict";
import { Kafka, logLevel } from "kafkajs";
import { consumeAll, kafkaBootstrap, produce } from "./helpers/kafka.ts";
import {
  type RunningServer,
  runPython,
  startServer,
} from "./helpers/server.ts";

const EXAMPLE = new URL("./e2e/seed_example.py", import.meta.url);
const EVENTS = 200;
const MORE_EVENTS = 25;

async function resetKafka(bootstrap: string): Promise<void> {
  const admin = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING })
    .admin();
  await admin.connect();
  try {
    const existing = await admin.listTopics();
    const topics = ["raw-data", "clean-data"].filter((t) =>
      existing.includes(t)
    );
    if (topics.length > 0) {
      await admin.deleteTopics({ topics, timeout: 30_000 });
    }
    await admin.deleteGroups(["fs-group"]).catch(() => {});
    // Topic deletion is asynchronous in Kafka; create only once it is gone.
    for (let i = 0; i < 100; i++) {
      const left = (await admin.listTopics()).filter((t) => topics.includes(t));
      if (left.length === 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    await admin.createTopics({
      topics: [{ topic: "raw-data", numPartitions: 1 }, {
        topic: "clean-data",
        numPartitions: 1,
      }],
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
}

/** Waits until the consumer group has a member with an assignment. */
async function waitForGroup(bootstrap: string, group: string): Promise<void> {
  const admin = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING })
    .admin();
  await admin.connect();
  try {
    for (let i = 0; i < 300; i++) {
      const { groups } = await admin.describeGroups([group]);
      if (groups[0]?.state === "Stable" && groups[0].members.length > 0) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`consumer group ${group} never became stable`);
  } finally {
    await admin.disconnect();
  }
}

async function statusOf(port: number, name: string): Promise<string> {
  const dir = await Deno.makeTempDir();
  const script = `${dir}/status.py`;
  await Deno.writeTextFile(
    script,
    `from fs_client import FsClient
with FsClient(host="127.0.0.1", port=${port}) as client:
    result = client.show_functions(filter_pattern=${JSON.stringify(name)})
    print(",".join(f.status for f in result.functions))
`,
  );
  const result = await runPython(script);
  await Deno.remove(dir, { recursive: true });
  assert.equal(result.code, 0, result.stderr);
  return result.stdout.trim();
}

async function waitForStatus(
  port: number,
  name: string,
  wanted: string,
): Promise<void> {
  let last = "";
  for (let i = 0; i < 120; i++) {
    last = await statusOf(port, name);
    if (last === wanted) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`function ${name} is ${last}, not ${wanted}`);
}

function totals(records: { value: Uint8Array | null }[]): number[] {
  return records.map((r) => {
    const parsed = JSON.parse(new TextDecoder().decode(r.value!));
    assert.equal(parsed.metric, "user_click");
    return parsed.total;
  });
}

Deno.test({
  name:
    "seed examples run verbatim: N events give totals 1..N, and a restart continues the count",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const bootstrap = kafkaBootstrap();
    await resetKafka(bootstrap);
    const dataDir = await Deno.makeTempDir({ prefix: "fs-e2e-" });
    let server: RunningServer | null = await startServer({ dataDir });
    try {
      const source = (await Deno.readTextFile(EXAMPLE))
        .replaceAll('"kafka:9092"', JSON.stringify(bootstrap))
        .replace(
          'host="10.0.0.1", port=8080',
          `host="127.0.0.1", port=${server.port}`,
        );
      const script = `${dataDir}/etl_job.py`;
      await Deno.writeTextFile(script, source);
      const run = await runPython(script);
      assert.equal(
        run.code,
        0,
        `seed script failed:\n${run.stderr}\n${server.output()}`,
      );
      assert.match(run.stdout, /^Task Status: RUNNING$/m);

      await waitForGroup(bootstrap, "fs-group");
      await produce(
        "raw-data",
        Array.from({ length: EVENTS }, () => ({ value: '{"value": 1}' })),
      );
      const first = await consumeAll("clean-data", {
        count: EVENTS,
        timeoutMs: 60_000,
      });
      assert.deepEqual(
        totals(first),
        Array.from({ length: EVENTS }, (_, i) => i + 1),
      );

      assert.equal(await server.stop("SIGTERM"), 0, server.output());
      server = await startServer({ dataDir });
      await waitForStatus(server.port, "python-etl-job", "RUNNING");
      await waitForGroup(bootstrap, "fs-group");
      await produce(
        "raw-data",
        Array.from({ length: MORE_EVENTS }, () => ({ value: '{"value": 1}' })),
      );
      const all = await consumeAll("clean-data", {
        count: EVENTS + MORE_EVENTS,
        timeoutMs: 60_000,
      });
      assert.deepEqual(
        totals(all).slice(EVENTS),
        Array.from({ length: MORE_EVENTS }, (_, i) => EVENTS + i + 1),
      );
      assert.match(server.output(), /function started/);
    } finally {
      await server?.stop("SIGTERM");
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});
