/**
 * The native baseline: the same MetricProcessor class run in-process by
 * CPython on the same messages, once with a minimal dict-backed context (the
 * baseline of the targets) and once with fs_api.testing.TestContext.
 * @module
 */
import { median } from "./_stats.ts";

const FS_API_SRC = new URL("../../python/fs_api/src", import.meta.url).pathname;
const VENV_PYTHON = new URL("../../.venv/bin/python", import.meta.url).pathname;

/** What {@link runCpythonBaseline} measured. */
export interface CpythonBaseline {
  /** Interpreter, e.g. "CPython 3.11.7". */
  python: string;
  /** Median msg/s with the dict-backed context. */
  dictMsgPerS: number;
  /** Median msg/s with fs_api.testing.TestContext. */
  testContextMsgPerS: number;
}

/** Options for {@link runCpythonBaseline}. */
export interface CpythonOptions {
  /** Passes over the messages; the median rate is reported. */
  reps: number;
  /** Sum of the message values, checked against the last total. */
  expectedTotal: number;
}

/** A minimal dict-backed context (emit appends to a list, stores are dicts), as Python source. */
export const DICT_CONTEXT_PY = `class DictStore:
    def __init__(self):
        self.d = {}
    def get_state(self, key):
        return self.d.get(key)
    def put_state(self, key, value):
        self.d[key] = value

class DictContext:
    def __init__(self, config):
        self.config = config
        self.stores = {}
        self.out = []
    def emit(self, data, channel=0):
        self.out.append(data)
    def getOrCreateKVStore(self, name):
        store = self.stores.get(name)
        if store is None:
            store = self.stores[name] = DictStore()
        return store
    def getConfig(self):
        return dict(self.config)
`;

// The loop times only the process() calls; outputs are kept in a list like
// a sink buffer and dropped between passes.
const SCRIPT = `
import json, platform, sys, time
sys.path.insert(0, sys.argv[1])
exec(open(sys.argv[2]).read())

${DICT_CONTEXT_PY}
data = open(sys.argv[3], "rb").read().split(b"\\n")
reps, expected = int(sys.argv[4]), int(sys.argv[5])
config = {"metric_name": "user_click"}

def run(ctx, emitted):
    op = MetricProcessor()
    op.init(ctx, ctx.getConfig())
    rates = []
    for _ in range(reps):
        process = op.process
        t = time.perf_counter()
        for d in data:
            process(ctx, 0, d)
        rates.append(len(data) / (time.perf_counter() - t))
        last = json.loads(emitted()[-1])["total"]
        emitted().clear()
    if last != reps * expected:
        raise SystemExit(f"wrong total {last}, expected {reps * expected}")
    return rates

from fs_api.testing import TestContext
dict_ctx = DictContext(config)
test_ctx = TestContext(config, outputs=1)
print(json.dumps({
    "python": f"{platform.python_implementation()} {platform.python_version()}",
    "dict": run(dict_ctx, lambda: dict_ctx.out),
    "test_context": run(test_ctx, lambda: test_ctx.emitted[0]),
}))
`;

/** The interpreter to use: env FS_BENCH_PYTHON, else python3, else the repo's .venv. */
export async function pythonCommand(): Promise<string> {
  const chosen = Deno.env.get("FS_BENCH_PYTHON");
  if (chosen) return chosen;
  for (const candidate of ["python3", VENV_PYTHON]) {
    try {
      const out = await new Deno.Command(candidate, {
        args: ["--version"],
        stdout: "null",
        stderr: "null",
      }).output();
      if (out.success) return candidate;
    } catch {
      // not installed; try the next one
    }
  }
  throw new Error(
    "Cannot run the CPython baseline as no interpreter was found: current candidates are FS_BENCH_PYTHON, python3, .venv/bin/python",
  );
}

/** Runs MetricProcessor (module source `source`) over `messages` on CPython. */
export async function runCpythonBaseline(
  source: string,
  messages: Uint8Array[],
  options: CpythonOptions,
): Promise<CpythonBaseline> {
  const dir = await Deno.makeTempDir({ prefix: "fs-bench-cpython-" });
  try {
    const joined = new Uint8Array(
      messages.reduce((n, m) => n + m.length + 1, -1),
    );
    let at = 0;
    for (const [i, m] of messages.entries()) {
      if (i > 0) joined[at++] = 10;
      joined.set(m, at);
      at += m.length;
    }
    await Deno.writeFile(`${dir}/messages`, joined);
    await Deno.writeTextFile(`${dir}/op.py`, source);
    await Deno.writeTextFile(`${dir}/bench.py`, SCRIPT);
    const out = await new Deno.Command(await pythonCommand(), {
      args: [
        `${dir}/bench.py`,
        FS_API_SRC,
        `${dir}/op.py`,
        `${dir}/messages`,
        String(options.reps),
        String(options.expectedTotal),
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decoder = new TextDecoder();
    if (!out.success) {
      throw new Error(
        `Cannot run the CPython baseline as the interpreter failed: current stderr is ${
          decoder.decode(out.stderr)
        }`,
      );
    }
    const parsed = JSON.parse(decoder.decode(out.stdout));
    return {
      python: parsed.python,
      dictMsgPerS: median(parsed.dict),
      testContextMsgPerS: median(parsed.test_context),
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
