import assert from "node:assert/strict";
import type { FunctionIsolate } from "./isolate.ts";
import { pyModule, startIsolate, texts } from "./_test_util.ts";

/** Runs each record as the body of a function; emits "ok: <result>" or "denied: <error>". */
const PROBE_OP = `from fs_api import FSProcessorDriver
class Op(FSProcessorDriver):
    def process(self, ctx, source_id, data):
        env = {}
        exec("def probe():\\n" + "\\n".join("    " + l for l in data.decode().splitlines()), env)
        try:
            ctx.emit(f"ok: {env['probe']()!r}".encode(), 0)
        except BaseException as e:
            ctx.emit(f"denied: {type(e).__name__}: {e}".encode(), 0)
`;

async function probe(isolate: FunctionIsolate, code: string): Promise<string> {
  const result = await isolate.process([{
    sourceId: 0,
    topic: "t",
    partition: 0,
    offset: 0n,
    key: null,
    value: new TextEncoder().encode(code),
    headers: [],
    timestamp: 0,
  }]);
  return texts(result.outputs)[0];
}

function assertDenied(outcome: string, ...fragments: string[]): void {
  assert.ok(outcome.startsWith("denied: "), outcome);
  for (const fragment of fragments) {
    assert.ok(outcome.includes(fragment), `missing ${fragment} in ${outcome}`);
  }
}

async function withProbe(
  test: (isolate: FunctionIsolate) => Promise<void>,
): Promise<void> {
  const isolate = await startIsolate({
    modules: [pyModule("probe", PROBE_OP)],
  });
  try {
    await test(isolate);
  } finally {
    await isolate.close();
  }
}

Deno.test("the sandbox cannot read host files", async () => {
  await withProbe(async (isolate) => {
    assertDenied(
      await probe(isolate, "return open('/etc/passwd').read()"),
      "FileNotFoundError",
    );
    assertDenied(
      await probe(
        isolate,
        "import js\nreturn js.Deno.readTextFileSync('/etc/hostname')",
      ),
      "AttributeError: Deno",
    );
    const denoJson = new URL("../../deno.json", import.meta.url).pathname;
    assertDenied(
      await probe(
        isolate,
        `import js\nreturn js.Deno.readTextFileSync(${
          JSON.stringify(denoJson)
        })`,
      ),
      "AttributeError: Deno",
    );
    assertDenied(
      await probe(isolate, "import js\nreturn js.Deno.readDirSync('/')"),
      "AttributeError: Deno",
    );
  });
});

Deno.test("the sandbox cannot write host files", async () => {
  const path = `${await Deno.makeTempDir()}/probe.txt`;
  await withProbe(async (isolate) => {
    // Python's open() writes the in-memory file system, never the host's.
    assert.equal(
      await probe(
        isolate,
        `import os\nos.makedirs(os.path.dirname(${JSON.stringify(path)}))\n` +
          `open(${JSON.stringify(path)}, 'w').write('x')\nreturn 1`,
      ),
      "ok: 1",
    );
    assertDenied(
      await probe(
        isolate,
        `import js\njs.Deno.writeTextFileSync(${JSON.stringify(path)}, 'x')`,
      ),
      "AttributeError: Deno",
    );
  });
  await assert.rejects(Deno.stat(path), Deno.errors.NotFound);
});

Deno.test("the sandbox cannot reach the network, the environment or subprocesses", async () => {
  let hits = 0;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => {
      hits++;
      return new Response("reached");
    },
  );
  const url = `http://127.0.0.1:${server.addr.port}/`;
  Deno.env.set("FS_SANDBOX_SECRET", "s3cret");
  try {
    await withProbe(async (isolate) => {
      assertDenied(
        await probe(
          isolate,
          `from pyodide.ffi import run_sync\nimport js\nreturn run_sync(js.fetch(${
            JSON.stringify(url)
          })).status`,
        ),
        "AttributeError: fetch",
      );
      assertDenied(
        await probe(
          isolate,
          `from pyodide.ffi import run_sync\nfrom pyodide.http import pyfetch\nreturn run_sync(pyfetch(${
            JSON.stringify(url)
          })).status`,
        ),
        "fetch",
      );
      assertDenied(
        await probe(
          isolate,
          "import js\nreturn js.Deno.env.get('FS_SANDBOX_SECRET')",
        ),
        "AttributeError: Deno",
      );
      assert.equal(
        await probe(
          isolate,
          "import os\nreturn os.environ.get('FS_SANDBOX_SECRET')",
        ),
        "ok: None",
      );
      assertDenied(
        await probe(
          isolate,
          "import js\nreturn js.Deno.run({'cmd': ['true']})",
        ),
        "AttributeError: Deno",
      );
      assertDenied(
        await probe(
          isolate,
          "import js\nreturn js.Deno.Command.new('true').outputSync().code",
        ),
        "AttributeError: Deno",
      );
      assertDenied(
        await probe(
          isolate,
          "import subprocess\nreturn subprocess.run(['true'])",
        ),
        "OSError",
      );
    });
    assert.equal(hits, 0);
  } finally {
    Deno.env.delete("FS_SANDBOX_SECRET");
    await server.shutdown();
  }
});

Deno.test("the sandbox locks the JS realm: no source to code, no threads, no shared snapshot; Pyodide's own trampolines still work", async () => {
  await withProbe(async (isolate) => {
    for (
      const code of [
        "import js\nreturn js.eval('1')",
        "import js\nreturn js.Object.getPrototypeOf(js.Array).constructor('return 1')()",
        "from pyodide.code import run_js\nreturn run_js('1')",
        "import js\nreturn js.setTimeout('1', 0)",
      ]
    ) {
      assertDenied(await probe(isolate, code), "Function Stream sandbox");
    }
    for (const name of ["Deno", "process", "Worker", "postMessage", "fetch"]) {
      assertDenied(
        await probe(isolate, `import js\nreturn js.${name}`),
        `AttributeError: ${name}`,
      );
    }
    assertDenied(
      await probe(
        isolate,
        "import pyodide_js\nreturn pyodide_js._api.config._loadSnapshot",
      ),
      "AttributeError: _loadSnapshot",
    );
    // ctypes callbacks compile an Emscripten trampoline module.
    assert.equal(
      await probe(
        isolate,
        "import ctypes\nreturn ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int)(lambda x: x + 1)(41)",
      ),
      "ok: 42",
    );
  });
});
