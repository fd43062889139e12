import assert from "node:assert/strict";
import { MemoryLimitError } from "./_failures.ts";
import {
  isolateProcesses,
  jsonRecords,
  pyModule,
  rejection,
  startIsolate,
  testSnapshot,
  texts,
} from "./_test_util.ts";
import type { FunctionIsolate } from "./isolate.ts";

/** Keeps allocating JS memory through `js`: arrays (V8 heap) or typed arrays (outside it). */
const JS_HOG = `from fs_api import FSProcessorDriver
import js

class Op(FSProcessorDriver):
    def process(self, ctx, source_id, data):
        kept = js.Array.new()
        if data == b'"arrays"':
            while True:
                kept.push(js.Array.new(1000000).fill(0))
        if data == b'"buffers"':
            while True:
                kept.push(js.Uint8Array.new(50_000_000).fill(1))
        ctx.emit(b"echo:" + data, 0)
`;

const MIB = 1024 * 1024;
const options = { sanitizeOps: false, sanitizeResources: false };

function startHog(logs: string[] = []): Promise<FunctionIsolate> {
  return startIsolate({
    functionName: "hog",
    className: "Op",
    modules: [pyModule("m", JS_HOG)],
    isolation: "process",
    maxMemoryBytes: 96 * MIB,
    onLog: (line) => logs.push(line),
  });
}

Deno.test({
  name:
    "process isolation: an operator exhausting the V8 heap through js fails with MemoryLimitError; its neighbour carries on",
  ...options,
  async fn() {
    const neighbour = await startHog();
    const logs: string[] = [];
    const hog = await startHog(logs);
    const error = await rejection(hog.process(jsonRecords(["arrays"])));
    assert.ok(error instanceof MemoryLimitError, error.message);
    assert.equal(error.code, "LIMIT_EXCEEDED");
    assert.match(error.message, /memory limit exceeded/);
    assert.match(error.message, /limit of 96 MiB/);
    assert.match(error.message, /Reached heap limit/);
    assert.equal(hog.dead, true);
    // V8's report reached the log, tagged with the function.
    assert.ok(
      logs.some((line) =>
        line.startsWith("[hog] isolate process:") &&
        line.includes("Fatal JavaScript out of memory")
      ),
      logs.join("\n"),
    );
    const ok = await neighbour.process(jsonRecords(["small"]));
    assert.deepEqual(texts(ok.outputs), ['echo:"small"']);
    await neighbour.close();
  },
});

Deno.test({
  name:
    "process isolation: typed arrays past the process's resident limit fail with MemoryLimitError",
  ...options,
  async fn() {
    const hog = await startHog();
    const error = await rejection(hog.process(jsonRecords(["buffers"])));
    assert.ok(error instanceof MemoryLimitError, error.message);
    // 2 x 96 MiB + 256 MiB: the watch in the process ended it.
    assert.match(error.message, /resident memory \d+ MiB is over .* 448 MiB/);
    assert.equal(hog.dead, true);
  },
});

Deno.test({
  name:
    "process isolation: a process killed from outside fails its call as a crash naming the signal",
  ...options,
  async fn() {
    const before = new Set(isolateProcesses());
    const isolate = await startIsolate({
      modules: [pyModule(
        "m",
        "from fs_api import FSProcessorDriver\nimport time\n" +
          "class Op(FSProcessorDriver):\n" +
          "    def process(self, ctx, source_id, data):\n        time.sleep(30)\n",
      )],
      isolation: "process",
    });
    const pids = isolateProcesses().filter((pid) => !before.has(pid));
    assert.equal(pids.length, 1);
    const call = isolate.process(jsonRecords([1]));
    Deno.kill(pids[0], "SIGKILL");
    const error = await rejection(call);
    assert.equal(error.code, "USER_CODE");
    assert.match(error.message, /isolate crashed/);
    assert.match(error.message, /ended unexpectedly \(signal SIGKILL\)/);
    assert.ok(!(error instanceof MemoryLimitError));
    assert.equal(isolate.dead, true);
  },
});

Deno.test({
  name:
    "process isolation: the process has an empty environment and may read only Pyodide's files, the snapshot and the isolate's modules",
  ...options,
  async fn() {
    const before = new Set(isolateProcesses());
    const isolate = await startIsolate({
      modules: [pyModule("m", JS_HOG)],
      isolation: "process",
      maxMemoryBytes: 128 * MIB,
    });
    const [pid] = isolateProcesses().filter((p) => !before.has(p));
    const environ = Deno.readTextFileSync(`/proc/${pid}/environ`)
      .split("\0").filter((entry) => entry !== "").map((e) => e.split("=")[0]);
    assert.deepEqual(
      environ.filter((name) => name !== "DENO_DIR").sort(),
      ["MALLOC_MMAP_THRESHOLD_", "NO_COLOR"],
    );
    const args = Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0");
    const snapshot = await testSnapshot();
    const reads = args.find((a) => a.startsWith("--allow-read="))!
      .slice("--allow-read=".length).split(",").sort();
    const here = decodeURIComponent(new URL("./", import.meta.url).pathname);
    assert.deepEqual(
      reads,
      [
        `${snapshot.load.indexPath}pyodide.asm.wasm`,
        `${snapshot.load.indexPath}python_stdlib.zip`,
        snapshot.path,
        here,
      ].sort(),
    );
    const v8Flags = args.find((arg) => arg.startsWith("--v8-flags="));
    assert.match(v8Flags ?? "", /[=,]--max-old-space-size=128(,|$)/);
    for (const arg of args) {
      assert.doesNotMatch(arg, /^--allow-(all|net|env|run|write|ffi|sys)|^-A$/);
    }
    await isolate.close();
  },
});

Deno.test({
  name:
    "process isolation: isolate processes end when the server process dies (no orphans)",
  ...options,
  async fn() {
    const script = `
      import { isolateProcesses, pyModule, startIsolate } from ${
      JSON.stringify(new URL("./_test_util.ts", import.meta.url).href)
    };
      await startIsolate({
        modules: [pyModule("m", "from fs_api import FSProcessorDriver\\nclass Op(FSProcessorDriver):\\n    pass\\n")],
        isolation: "process",
      });
      console.log(JSON.stringify(isolateProcesses()));
      Deno.kill(Deno.pid, "SIGKILL");
    `;
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["eval", script],
      cwd: decodeURIComponent(new URL("../../", import.meta.url).pathname),
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(output.stdout);
    const pids: number[] = JSON.parse(text.trim().split("\n").at(-1) ?? "[]");
    assert.equal(
      pids.length,
      1,
      text + new TextDecoder().decode(output.stderr),
    );
    const end = Date.now() + 10_000;
    while (Date.now() < end && alive(pids[0])) {
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(
      alive(pids[0]),
      false,
      `isolate process ${pids[0]} outlived the server`,
    );
  },
});

function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

Deno.test({
  name:
    "process isolation: a snapshot file gone from the cache fails the start as a crash that names it",
  ...options,
  async fn() {
    const snapshot = await testSnapshot();
    const missing = Object.create(snapshot, {
      path: { value: `${snapshot.path}.gone` },
      // No warm process (the pool's field is private to the original).
      takeWarmWorker: { value: () => undefined },
    }) as typeof snapshot;
    const error = await rejection(startIsolate({
      modules: [pyModule("m", JS_HOG)],
      isolation: "process",
      snapshot: missing,
    }));
    assert.equal(error.code, "USER_CODE");
    assert.match(error.message, /ended unexpectedly \(exit code 1\)/);
    assert.match(error.message, /snapshot file .*\.gone is missing or changed/);
  },
});
