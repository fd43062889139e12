/**
 * The sandbox at the system level: through the real server and Kafka, an
 * operator tries to reach host files, the network, the environment,
 * processes, the Deno namespace, the host's message channel, the server
 * process and another function's state. Each attempt's outcome is emitted
 * by the operator; all must fail, the server must stay up, and a function
 * beside it must keep counting from where it was.
 */
import assert from "node:assert/strict";
import {
  consumeAll,
  createTopic,
  kafkaBootstrap,
  produce,
  uniqueTopic,
} from "./helpers/kafka.ts";
import {
  counterRequest,
  range,
  RpcClient,
  type SpawnedServer,
  spawnServer,
  taskYaml,
  totalsOf,
} from "./helpers/hardening.ts";
import {
  EXIT_PROBES,
  MALFORMED_PROBES,
  type Probe,
  PROBE_SOURCE,
  type ProbeContext,
  PROBES,
  SIGNAL_PROBES,
  WORKER_PROBES,
} from "./helpers/sandbox_probes.ts";
import { REALM_CRASH_PROBES, REALM_PROBES } from "./helpers/realm_probes.ts";

const SECRET = `sandbox-secret-${crypto.randomUUID()}`;
const VICTIM = "victim-fn";

/** Decodes "<id> ok: ..." / "<id> denied: ..." outputs by probe id. */
function outcomes(records: { value: Uint8Array }[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const record of records) {
    const text = new TextDecoder().decode(record.value);
    const space = text.indexOf(" ");
    map.set(text.slice(0, space), text.slice(space + 1));
  }
  return map;
}

/** A running server with a counting victim and a hit-counting listener. */
interface Sandbox {
  server: SpawnedServer;
  client: RpcClient;
  context: ProbeContext;
  /** Requests the local HTTP listener received. */
  hits(): number;
  /** Creates a probe function (extra task config keys allowed); returns its topics. */
  probeFunction(
    name: string,
    extra?: Record<string, number>,
  ): Promise<{ input: string; output: string }>;
  /** Sends `count` records to the victim and checks totals continue to `upTo`. */
  victimCounts(count: number, upTo: number): Promise<void>;
}

/** Runs `test` against a fresh server started with `args` (e.g. `--isolation process`). */
async function withSandbox(
  test: (sandbox: Sandbox) => Promise<void>,
  args: string[] = [],
) {
  let hits = 0;
  const listener = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => {
      hits++;
      return new Response("reached");
    },
  );
  const bootstrap = kafkaBootstrap();
  const victimIn = uniqueTopic("sandbox-victim-in");
  const victimOut = uniqueTopic("sandbox-victim-out");
  await createTopic(victimIn);
  await createTopic(victimOut);
  const dataDir = await Deno.makeTempDir({ prefix: "fs-hardening-sandbox-" });
  const server = await spawnServer({
    dataDir,
    args,
    env: { FS_SANDBOX_SECRET: SECRET },
  });
  const client = new RpcClient(server.port, {});
  let code = -1;
  try {
    const made = await client.call(
      "CreatePythonFunction",
      counterRequest(taskYaml({
        name: VICTIM,
        bootstrap,
        input: victimIn,
        output: victimOut,
        initConfig: { metric_name: "victim" },
      })),
    );
    assert.equal(made.status_code, 201, made.message);
    const sandbox: Sandbox = {
      server,
      client,
      hits: () => hits,
      context: {
        dataDir,
        hostFile: `${dataDir}/written-by-operator.txt`,
        url: `http://127.0.0.1:${listener.addr.port}/`,
        httpPort: listener.addr.port,
        kafkaPort: Number(bootstrap.split(":").at(-1)),
        mainTs: new URL("../main.ts", import.meta.url).pathname,
        victim: VICTIM,
        secret: SECRET,
      },
      async probeFunction(name, extra) {
        const input = uniqueTopic(`sandbox-${name}-in`);
        const output = uniqueTopic(`sandbox-${name}-out`);
        await createTopic(input);
        await createTopic(output);
        const reply = await client.call("CreatePythonFunction", {
          class_name: "Probe",
          modules: [{
            module_name: "probe_job",
            module_bytes: new TextEncoder().encode(PROBE_SOURCE),
          }],
          config_content: taskYaml({ name, bootstrap, input, output, extra }),
        });
        assert.equal(reply.status_code, 201, reply.message);
        return { input, output };
      },
      async victimCounts(count, upTo) {
        await produce(victimIn, range(1, count).map(() => ({ value: "{}" })));
        const records = await consumeAll(victimOut, {
          count: upTo,
          timeoutMs: 60_000,
        });
        assert.deepEqual(totalsOf(records), range(1, upTo));
      },
    };
    await sandbox.victimCounts(5, 5);
    await test(sandbox);
    assert.ok(server.alive(), "the server died");
    await sandbox.victimCounts(5, 10);
    assert.equal(
      (await client.list()).find((f) => f.name === VICTIM)?.status,
      "RUNNING",
    );
    assert.equal(hits, 0, "an operator reached the local HTTP listener");
    assert.ok(!server.output().includes(SECRET), "the secret leaked");
  } finally {
    client.close();
    code = await server.stop();
    await listener.shutdown();
    await Deno.remove(dataDir, { recursive: true });
  }
  assert.equal(code, 0, server.output().slice(-3000));
}

/**
 * Sends each probe as its own record (so one that breaks its worker cannot
 * take the others' outcomes with it) and returns the probes whose outcome
 * is not the expected failure.
 */
async function runProbes(
  sandbox: Sandbox,
  name: string,
  probes: Probe[],
): Promise<string[]> {
  const topics = await sandbox.probeFunction(name);
  const seen = new Map<string, string>();
  for (const probe of probes) {
    await produce(topics.input, [{ value: `${probe.id}\n${probe.code}` }]);
    const records = await consumeAll(topics.output, {
      count: seen.size + 1,
      timeoutMs: 30_000,
    });
    for (const [id, outcome] of outcomes(records)) seen.set(id, outcome);
    assert.ok(
      sandbox.server.alive(),
      `probe ${probe.id} (${probe.what}) ended the server:\n${
        sandbox.server.output().slice(-2000)
      }`,
    );
    if (!seen.has(probe.id)) {
      // Its worker ended (and restarts into the same record): later probes
      // sent to this function would go unanswered too.
      return [
        `${probe.id} (${probe.what}): no outcome, its worker ended:\n${
          sandbox.server.output().split("\n").filter((line) =>
            line.includes(name)
          ).slice(-8).join("\n")
        }`,
      ];
    }
  }
  return probes
    .filter((probe) => !probe.expect.test(seen.get(probe.id)!))
    .map((probe) => `${probe.id} (${probe.what}): ${seen.get(probe.id)}`);
}

/**
 * Runs each probe that ends its own worker in a function of its own, which
 * must end FAILED (after its restarts) while the server lives.
 */
async function expectOwnFailure(sandbox: Sandbox, probes: Probe[]) {
  const wrong: string[] = [];
  for (const probe of probes) {
    const name = `crash-${probe.id}`;
    // No restarts and a short call deadline: the failure shows at once.
    const own = await sandbox.probeFunction(name, {
      max_restarts: 0,
      process_timeout_seconds: 5,
    });
    await produce(own.input, [{ value: `${probe.id}\n${probe.code}` }]);
    try {
      await sandbox.client.waitForStatus(name, "FAILED", 20_000);
    } catch (error) {
      const left = await consumeAll(own.output, { count: 1, timeoutMs: 1_000 });
      wrong.push(
        `${probe.what}: ${(error as Error).message}; it emitted ${
          JSON.stringify([...outcomes(left).values()])
        }`,
      );
    }
    assert.ok(sandbox.server.alive(), `${probe.what} ended the server`);
  }
  assert.deepEqual(wrong, [], "workers that ended unnoticed");
}

Deno.test({
  name:
    "operators cannot reach host files, network, environment, processes, Deno or other functions' state; the server and a neighbour carry on",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withSandbox(async (sandbox) => {
      const probes = PROBES(sandbox.context);
      const wrong = await runProbes(
        sandbox,
        "probe-fn",
        probes.filter((p) => !p.crashes),
      );
      assert.deepEqual(wrong, [], "attempts that did not fail");
      await assert.rejects(
        Deno.stat(sandbox.context.hostFile),
        Deno.errors.NotFound,
      );
      await expectOwnFailure(sandbox, probes.filter((p) => p.crashes));
      await assert.rejects(
        Deno.stat(sandbox.context.hostFile),
        Deno.errors.NotFound,
      );
    });
  },
});

// A worker shares the server's OS process, and Deno lets a process signal
// itself without the run permission: the worker's realm has no Deno, no
// process and no eval (so no `import('node:process')`).
for (const isolation of ["worker", "process"]) {
  Deno.test({
    name: isolation === "worker"
      ? "operators cannot send signals to the server process"
      : "operators cannot send signals to the server or their isolate process (--isolation process)",
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      await withSandbox(async (sandbox) => {
        const wrong = await runProbes(sandbox, "signal-fn", SIGNAL_PROBES);
        assert.deepEqual(wrong, [], "signals that reached the server process");
      }, ["--isolation", isolation]);
    },
  });
}

Deno.test({
  name:
    "operators cannot post messages to the host, malformed or forged; the server and a neighbour carry on",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withSandbox(async (sandbox) => {
      const wrong = await runProbes(sandbox, "malformed-fn", MALFORMED_PROBES);
      assert.deepEqual(wrong, [], "messages that reached the host");
    });
  },
});

// Nested workers and node:worker_threads would run outside the call
// deadline and the memory cap: the realm has no Worker and no eval.
for (const isolation of ["worker", "process"]) {
  Deno.test({
    name:
      "operators cannot start threads of their own (nested workers would escape the call deadline and memory cap)" +
      (isolation === "worker" ? "" : " (--isolation process)"),
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      await withSandbox(async (sandbox) => {
        const wrong = await runProbes(sandbox, "thread-fn", WORKER_PROBES);
        assert.deepEqual(wrong, [], "threads that ran");
      }, ["--isolation", isolation]);
    },
  });
}

Deno.test({
  name: "operators cannot end their worker with Deno.exit or process.exit",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withSandbox(async (sandbox) => {
      const wrong = await runProbes(sandbox, "exit-fn", EXIT_PROBES);
      assert.deepEqual(wrong, [], "exits that were reachable");
    });
  },
});

Deno.test({
  name:
    "operators cannot run JavaScript source, compile WebAssembly, reach the shared snapshot, write the server's stdout or lift the memory cap",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withSandbox(async (sandbox) => {
      const marker = `console-marker-${crypto.randomUUID()}`;
      const wrong = await runProbes(
        sandbox,
        "realm-fn",
        REALM_PROBES(marker),
      );
      assert.deepEqual(wrong, [], "attempts on the realm that did not fail");
      const lines = sandbox.server.output().split("\n")
        .filter((line) => line.includes(marker));
      assert.ok(lines.length > 0, "the console line was lost");
      for (const line of lines) {
        assert.ok(
          line.includes("[realm-fn]"),
          `console output reached the server untagged: ${line}`,
        );
      }
      await expectOwnFailure(sandbox, REALM_CRASH_PROBES);
    });
  },
});
