// Needs a broker: `deno task kafka` (bash scripts/kafka.sh start).
import assert from "node:assert/strict";
import {
  createLogger,
  type InputRecord,
  type IsolationMode,
  parseTaskConfig,
  type PythonModule,
  type TaskConfig,
} from "../core/mod.ts";
import { PyodideSnapshot } from "../isolate/mod.ts";
import { isolateProcesses, rejection } from "../isolate/_test_util.ts";
import { MemoryStateBackend } from "../state/mod.ts";
import {
  createTopic,
  kafkaBootstrap,
  uniqueTopic,
} from "../../tests/helpers/kafka.ts";
import { openRunnerParts, type RunnerPartsOptions } from "./runner_parts.ts";

/** Shared with the isolate tests: snapshots there are keyed by content. */
const SNAPSHOT_CACHE_DIR = `${
  Deno.env.get("TMPDIR") ?? "/tmp"
}/function-stream-isolate-test`;

let snapshot: Promise<PyodideSnapshot> | undefined;

const OPERATOR = `from fs_api import FSProcessorDriver
class Op(FSProcessorDriver):
    def process(self, ctx, source_id, data):
        ctx.emit(data, 0)
`;

const BROKEN = "def f(:\n    pass\n";

/**
 * A function with exactly-once checkpoints reading from `inputServer` and
 * writing to the local broker: its committer holds a transactional producer,
 * the part opened before the isolate that keeps a broker connection.
 */
async function config(inputServer: string): Promise<TaskConfig> {
  const input = JSON.stringify(inputServer);
  const output = JSON.stringify(kafkaBootstrap());
  const outputTopic = uniqueTopic("parts-out");
  await createTopic(outputTopic);
  return parseTaskConfig(`name: ${uniqueTopic("parts-fn")}
enable_checkpoint: true
input-groups:
- inputs:
  - {bootstrap_servers: ${input}, topic: ${
    uniqueTopic("parts-in")
  }, group_id: parts-g, retries: 0}
outputs:
- {bootstrap_servers: ${output}, topic: ${outputTopic}}
`);
}

async function options(
  config: TaskConfig,
  source: string,
  isolation: IsolationMode = "worker",
): Promise<RunnerPartsOptions> {
  snapshot ??= PyodideSnapshot.prepare({ cacheDir: SNAPSHOT_CACHE_DIR });
  const modules: PythonModule[] = [{
    name: "op",
    source: new TextEncoder().encode(source),
  }];
  return {
    config,
    className: "Op",
    modules,
    state: new MemoryStateBackend(),
    snapshot: await snapshot,
    logger: createLogger({ write: () => {} }),
    isolation,
  };
}

/** Inodes of this process's established TCP connections to the broker (Linux /proc). */
function brokerConnections(): Set<string> {
  const port = Number(kafkaBootstrap().split(":").at(-1));
  const mine = new Set<string>();
  for (const fd of Deno.readDirSync("/proc/self/fd")) {
    try {
      const link = Deno.readLinkSync(`/proc/self/fd/${fd.name}`);
      const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
      if (inode !== undefined) mine.add(inode);
    } catch {
      // Closed meanwhile.
    }
  }
  const open = new Set<string>();
  for (const table of ["/proc/self/net/tcp", "/proc/self/net/tcp6"]) {
    for (const line of Deno.readTextFileSync(table).split("\n").slice(1)) {
      const [, , remote, state, , , , , , inode] = line.trim().split(/\s+/);
      if (remote === undefined || state !== "01" || !mine.has(inode)) continue;
      if (parseInt(remote.split(":")[1], 16) === port) open.add(inode);
    }
  }
  return open;
}

/** Polls `check` until it holds; fails with `what` after two seconds. */
async function eventually(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 2000;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`still ${what} after 2 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const record: InputRecord = {
  sourceId: 0,
  topic: "in",
  partition: 0,
  offset: 0n,
  key: null,
  value: new TextEncoder().encode("x"),
  headers: [],
  timestamp: 0,
};

Deno.test("openRunnerParts() starts every part, with the committer connected and the isolate answering", async () => {
  const before = brokerConnections();
  const parts = await openRunnerParts(
    await options(await config(kafkaBootstrap()), OPERATOR),
  );
  try {
    // Also shows the connection probe the failure tests rely on sees them.
    assert.ok(brokerConnections().size > before.size);
    // The committer writes the outputs in its transactions.
    assert.equal(parts.sinks.length, 0);
    assert.equal(parts.inputs.length, 1);
    assert.deepEqual(parts.positions, []);
    const result = await parts.isolate.process([record]);
    assert.equal(result.outputs.length, 1);
  } finally {
    parts.isolate.terminate();
    await Promise.all([
      ...parts.inputs.map((i) => i.source.close()),
      ...parts.sinks.map((s) => s.close()),
      parts.committer.close(),
    ]);
  }
});

Deno.test("openRunnerParts() closes the opened committer and rethrows USER_CODE when the module does not import", async () => {
  const before = brokerConnections();
  const error = await rejection(
    openRunnerParts(await options(await config(kafkaBootstrap()), BROKEN)),
  );
  assert.equal(error.code, "USER_CODE", error.message);
  assert.match(error.message, /Cannot import the modules of function/);
  assert.match(error.message, /SyntaxError/);
  await eventually(
    "connected to the broker",
    () => [...brokerConnections()].every((inode) => before.has(inode)),
  );
});

Deno.test({
  name:
    "openRunnerParts() ends the started isolate and closes the committer when an input cannot start",
  // A child process's pipes and exit status settle after it ends.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const before = brokerConnections();
    const children = isolateProcesses();
    // Nothing listens on port 1: the input fails after the isolate started.
    const error = await rejection(
      openRunnerParts(
        await options(await config("127.0.0.1:1"), OPERATOR, "process"),
      ),
    );
    assert.equal(error.code, "UNAVAILABLE", error.message);
    assert.match(error.message, /parts-in-.* at 127\.0\.0\.1:1\b/);
    await eventually(
      "connected to the broker",
      () => [...brokerConnections()].every((inode) => before.has(inode)),
    );
    await eventually(
      "running an isolate process",
      () => isolateProcesses().every((pid) => children.includes(pid)),
    );
  },
});
