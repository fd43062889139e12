/**
 * `deno task compile` (scripts/compile.sh) end to end.
 *
 * The first test checks what the executable embeds. It needs no denort:
 * without DENORT_BIN it lets deno compile write onto the `deno` binary
 * itself, which gives a file with the same embedded data that cannot run
 * it; only the embedded file list (the VFS index, JSON in Deno 2.9) is read.
 *
 * The second test runs the real executable, copied alone into an empty
 * folder: it serves, its own `cli` creates the seed's MetricProcessor, and
 * the function processes records from a real broker. It needs DENORT_BIN
 * (a denort binary of this Deno version; no registry here ships one) and a
 * broker (`deno task kafka`), and is skipped without DENORT_BIN.
 */
import assert from "node:assert/strict";
import {
  consumeAll,
  createTopic,
  kafkaBootstrap,
  produce,
  uniqueTopic,
} from "./helpers/kafka.ts";
import { type ServerProcess, spawnServer } from "./helpers/server_process.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const DENORT_BIN = Deno.env.get("DENORT_BIN") ?? "";
const SKIP_REASON =
  "set DENORT_BIN to a denort binary of this Deno version to run the compiled executable (deno compile cannot download it here, and no package registry ships one)";

if (DENORT_BIN === "") {
  console.log(`compile_test: running the binary is skipped: ${SKIP_REASON}`);
}

/** Builds the executable once per run into a temp folder. */
let built: Promise<string> | undefined;
function build(): Promise<string> {
  built ??= (async () => {
    const dir = await Deno.makeTempDir({ prefix: "fs-compile-" });
    const output = `${dir}/function-stream`;
    const base = DENORT_BIN !== "" ? DENORT_BIN : Deno.execPath();
    const result = await new Deno.Command("bash", {
      args: ["scripts/compile.sh", "--output", output],
      cwd: ROOT,
      env: { DENORT_BIN: base, NO_COLOR: "1", DENO_EXEC_PATH: Deno.execPath() },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(result.stdout) +
      new TextDecoder().decode(result.stderr);
    assert.equal(result.code, 0, `compile.sh failed:\n${text}`);
    return output;
  })();
  return built;
}

/** Names of the files in the executable's embedded file system index. */
async function embeddedFiles(binary: string): Promise<Set<string>> {
  const bytes = await Deno.readFile(binary);
  // Latin-1 keeps one char per byte, so the JSON index reads as text.
  const text = new TextDecoder("latin1").decode(bytes);
  const names = new Set<string>();
  for (const match of text.matchAll(/\{"File":\{"n":"([^"]+)","o":\[/g)) {
    names.add(match[1]);
  }
  return names;
}

Deno.test({
  name:
    "compile.sh embeds the worker script, the protos, the Python sources and the Pyodide assets",
  sanitizeResources: false,
  async fn() {
    const names = await embeddedFiles(await build());
    for (
      const name of [
        "main.ts",
        "worker_main.ts",
        "_worker_load.ts",
        "function_stream.proto",
        "health.proto",
        "_entry.py", // fs_runtime
        "kv_store.py",
        "driver.py", // fs_api
        "value_state.py",
        "pyodide.asm.wasm",
        "pyodide.asm.mjs",
        "python_stdlib.zip",
        "pyodide-lock.json",
      ]
    ) assert.ok(names.has(name), `${name} is not embedded`);
  },
});

const OPERATOR = `from fs_api import FSProcessorDriver, Context
import json

class MetricProcessor(FSProcessorDriver):
    def init(self, ctx: Context, config: dict):
        self.metric_name = config.get("metric_name", "default_event")

    def process(self, ctx: Context, source_id: int, data: bytes):
        event = json.loads(data.decode())
        store = ctx.getOrCreateKVStore("stats_db")
        key = f"count:{self.metric_name}".encode()
        current_val = int(store.get_state(key) or 0)
        new_val = current_val + event.get("value", 1)
        store.put_state(key, str(new_val).encode())
        result = {"metric": self.metric_name, "total": new_val}
        ctx.emit(json.dumps(result).encode(), 0)
`;

async function run(binary: string, args: string[], cwd: string) {
  const result = await new Deno.Command(binary, {
    args,
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return {
    code: result.code,
    stdout: decode(result.stdout),
    stderr: decode(result.stderr),
  };
}

Deno.test({
  name:
    "the compiled executable, alone in an empty folder, serves and runs the seed function created by its own cli",
  ignore: DENORT_BIN === "",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const binary = await build();
    const home = await Deno.makeTempDir({ prefix: "fs-binary-" });
    const inputs = await Deno.makeTempDir({ prefix: "fs-binary-inputs-" });
    const exe = `${home}/function-stream`;
    await Deno.copyFile(binary, exe);
    await Deno.chmod(exe, 0o755);
    const source = uniqueTopic("bin-in");
    const sink = uniqueTopic("bin-out");
    await createTopic(source);
    await createTopic(sink);
    const servers = JSON.stringify(kafkaBootstrap());
    await Deno.writeTextFile(`${inputs}/metric_processor.py`, OPERATOR);
    await Deno.writeTextFile(
      `${inputs}/task.yaml`,
      `name: binary-etl
type: python
init_config: {metric_name: user_click}
input-groups:
  - inputs:
      - {input-type: kafka, bootstrap_servers: ${servers}, topic: ${source}, group_id: g-${source}, auto.offset.reset: earliest}
outputs:
  - {output-type: kafka, bootstrap_servers: ${servers}, topic: ${sink}, partition: 0}
`,
    );
    let server: ServerProcess | null = null;
    try {
      server = await spawnServer(exe, ["--port", "0", "--data-dir", "data"], {
        cwd: home,
      });
      const cli = (args: string[]) =>
        run(exe, [
          "cli",
          "--port",
          String(server!.port),
          "--timeout",
          "120",
          ...args,
        ], inputs);
      const created = await cli([
        "create",
        "--file",
        "metric_processor.py",
        "--config",
        "task.yaml",
      ]);
      assert.equal(
        created.code,
        0,
        `${created.stdout}${created.stderr}\n${server.output()}`,
      );
      const status = await cli(["status", "binary-etl"]);
      assert.match(status.stdout, /RUNNING/, status.stdout + status.stderr);

      await produce(
        source,
        Array.from({ length: 5 }, () => ({ value: '{"value": 1}' })),
      );
      const out = await consumeAll(sink, { count: 5, timeoutMs: 60_000 });
      assert.deepEqual(
        out.map((r) => JSON.parse(new TextDecoder().decode(r.value)).total),
        [1, 2, 3, 4, 5],
      );
      // Nothing but the executable and its data folder.
      const entries = [];
      for await (const entry of Deno.readDir(home)) entries.push(entry.name);
      assert.deepEqual(entries.sort(), ["data", "function-stream"]);
      const stopping = server;
      server = null;
      assert.equal(await stopping.stop("SIGTERM"), 0, stopping.output());
    } finally {
      await server?.stop("SIGTERM");
      await Deno.remove(home, { recursive: true }).catch(() => {});
      await Deno.remove(inputs, { recursive: true }).catch(() => {});
    }
  },
});

// Removes the build folder once every test of this file has run.
globalThis.addEventListener("unload", () => {
  built?.then((path) =>
    Deno.removeSync(path.slice(0, path.lastIndexOf("/")), { recursive: true })
  ).catch(() => {});
});
