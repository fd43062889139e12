import assert from "node:assert/strict";
import { PyodideSnapshot } from "./snapshot.ts";
import { FunctionIsolate } from "./isolate.ts";
import { FakeStateBackend, jsonRecords, pyModule } from "./_test_util.ts";

const ECHO = "from fs_api import FSProcessorDriver\n" +
  "class Op(FSProcessorDriver):\n" +
  "    def process(self, ctx, source_id, data):\n        ctx.emit(data, 0)\n";

async function echoWorks(snapshot: PyodideSnapshot): Promise<void> {
  const isolate = await FunctionIsolate.start({
    functionName: "echo",
    className: "Op",
    modules: [pyModule("echo", ECHO)],
    initConfig: {},
    outputCount: 1,
    state: new FakeStateBackend(),
    snapshot,
  });
  const result = await isolate.process(jsonRecords(["x"]));
  assert.equal(new TextDecoder().decode(result.outputs[0].value), '"x"');
  await isolate.close();
}

Deno.test("PyodideSnapshot.prepare() builds once, caches the file and reuses it", async () => {
  const cacheDir = await Deno.makeTempDir({ prefix: "fs-snapshot-" });
  try {
    // Two concurrent prepares share one build.
    const [first, twin] = await Promise.all([
      PyodideSnapshot.prepare({ cacheDir }),
      PyodideSnapshot.prepare({ cacheDir }),
    ]);
    assert.equal(first, twin);
    assert.equal(first.fromCache, false);
    assert.match(first.path, new RegExp(`pyodide-${first.key}\\.snapshot$`));
    assert.equal(first.bytes.buffer instanceof SharedArrayBuffer, true);
    const files = [];
    for await (const entry of Deno.readDir(cacheDir)) files.push(entry.name);
    assert.deepEqual(files, [`pyodide-${first.key}.snapshot`]);

    const second = await PyodideSnapshot.prepare({ cacheDir });
    assert.equal(second.fromCache, true);
    assert.equal(second.key, first.key);
    assert.deepEqual(second.bytes, first.bytes);
    await echoWorks(second);

    // A damaged file is rebuilt rather than loaded.
    const file = await Deno.readFile(first.path);
    file[file.length - 1] ^= 0xff;
    await Deno.writeFile(first.path, file);
    const rebuilt = await PyodideSnapshot.prepare({ cacheDir });
    assert.equal(rebuilt.fromCache, false);
    await echoWorks(rebuilt);
  } finally {
    await Deno.remove(cacheDir, { recursive: true });
  }
});

Deno.test("PyodideSnapshot keys change with the Python sources inside", async () => {
  const cacheDir = await Deno.makeTempDir({ prefix: "fs-snapshot-key-" });
  const fsApiDir = `${cacheDir}/fs_api/`;
  try {
    await Deno.mkdir(fsApiDir);
    const original = new URL(
      "../../python/fs_api/src/fs_api/",
      import.meta.url,
    );
    await copyTree(original.pathname, fsApiDir);
    const a = await PyodideSnapshot.prepare({
      cacheDir,
      fsApiDir,
      preImports: [],
    });
    await Deno.writeTextFile(`${fsApiDir}extra.py`, "X = 1\n");
    const b = await PyodideSnapshot.prepare({
      cacheDir,
      fsApiDir,
      preImports: [],
    });
    assert.notEqual(a.key, b.key);
  } finally {
    await Deno.remove(cacheDir, { recursive: true });
  }
});

async function copyTree(from: string, to: string): Promise<void> {
  for await (const entry of Deno.readDir(from)) {
    if (entry.isDirectory) {
      await Deno.mkdir(`${to}${entry.name}`);
      await copyTree(`${from}${entry.name}/`, `${to}${entry.name}/`);
    } else if (entry.isFile) {
      await Deno.copyFile(`${from}${entry.name}`, `${to}${entry.name}`);
    }
  }
}
