import assert from "node:assert/strict";
import { hostCommand } from "./_process_command.ts";

const OPTIONS = {
  name: "fs-isolate:f",
  indexPath: "/p/pyodide/",
  snapshot: { path: "/cache/pyodide-k.snapshot" },
  maxMemoryBytes: 100 * 1024 * 1024 + 1,
};

Deno.test("hostCommand() runs the relay with reads of Pyodide's files, the snapshot and the isolate folder only, the V8 heap capped and wasm tiering up early", () => {
  const command = hostCommand(OPTIONS);
  assert.equal(command.command, Deno.execPath());
  const here = decodeURIComponent(new URL("./", import.meta.url).pathname);
  assert.deepEqual(command.args.slice(0, 3), [
    "run",
    "--no-prompt",
    "--cached-only",
  ]);
  assert.ok(
    command.args.includes(
      `--allow-read=/p/pyodide/pyodide.asm.wasm,/p/pyodide/python_stdlib.zip,/cache/pyodide-k.snapshot,${here}`,
    ),
    command.args.join(" "),
  );
  assert.ok(
    command.args.includes(
      "--v8-flags=--max-old-space-size=101,--wasm-tiering-budget=1000000",
    ),
    command.args.join(" "),
  );
  assert.equal(command.args.at(-2), `${here}process_host_main.ts`);
  assert.equal(command.args.at(-1), "fs-isolate:f");
  assert.equal(
    command.args.filter((arg) => arg.startsWith("--allow-")).length,
    1,
  );
  assert.deepEqual(
    Object.keys(command.env).filter((k) => k !== "DENO_DIR").sort(),
    ["MALLOC_MMAP_THRESHOLD_", "NO_COLOR"],
  );
});

Deno.test("hostCommand() sets no V8 heap cap without a memory limit", () => {
  const command = hostCommand({ ...OPTIONS, maxMemoryBytes: 0 });
  const flags = command.args.filter((arg) => arg.startsWith("--v8-flags"));
  assert.deepEqual(flags, ["--v8-flags=--wasm-tiering-budget=1000000"]);
});
