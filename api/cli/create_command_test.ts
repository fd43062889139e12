import assert from "node:assert/strict";
import { taskYaml } from "../_fake_control.ts";
import {
  cli,
  startTestServer,
  type TestServer,
  writeTempFiles,
} from "./_test_helpers.ts";
import { findDriverClasses, pickClassName } from "./create_command.ts";

const OPERATOR = [
  "from fs_api import FSProcessorDriver, Context",
  "import helpers",
  "",
  "class Util:",
  "    pass",
  "",
  "class MetricProcessor(FSProcessorDriver):",
  "    def process(self, ctx: Context, source_id: int, data: bytes):",
  "        ctx.emit(data, 0)",
  "",
].join("\n");

const TWO_OPERATORS = "import fs_api\n\nclass A(fs_api.FSProcessorDriver):\n" +
  "    pass\n\nclass B(\n    FSProcessorDriver,\n):\n    pass\n";

async function withServer(
  test: (server: TestServer) => Promise<void>,
): Promise<void> {
  const server = await startTestServer();
  try {
    await test(server);
  } finally {
    await server.close();
  }
}

function text(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

Deno.test("create uploads dependencies first, the operator's module last, the class and the config", async () => {
  const files = await writeTempFiles({
    "op.py": OPERATOR,
    "helpers.py": "X = 1\n",
    "util_b.py": "Y = 2\n",
    "task.yaml": taskYaml("etl"),
  });
  try {
    await withServer(async ({ port, control }) => {
      const run = await cli([
        "create",
        "--file",
        files.path("op.py"),
        "--config",
        files.path("task.yaml"),
        "--module",
        `helpers=${files.path("helpers.py")}`,
        "--module",
        files.path("util_b.py"),
        "--port",
        port,
      ]);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(
        run.stdout,
        "Function 'etl' created\nFunction 'etl' is RUNNING\n",
      );
      assert.match(run.stderr, /^uploading 3 modules \(\d+ B\)\.\.\.\n/);
      assert.match(run.stderr, /waiting until running\.\.\.\n$/);
      const { input } = control.functions.get("etl")!;
      assert.equal(input.className, "MetricProcessor");
      assert.deepEqual(
        input.modules.map((m) => [m.name, text(m.source)]),
        [["helpers", "X = 1\n"], ["util_b", "Y = 2\n"], ["op", OPERATOR]],
      );
      assert.equal(input.configYaml, taskYaml("etl"));
    });
  } finally {
    await Deno.remove(files.dir, { recursive: true });
  }
});

Deno.test("create --class overrides detection and --no-wait prints JSON without waiting", async () => {
  const files = await writeTempFiles({
    "two.py": TWO_OPERATORS,
    "task.yaml": taskYaml("job"),
  });
  try {
    await withServer(async ({ port, control }) => {
      let lists = 0;
      const list = control.listFunctions;
      control.listFunctions = (pattern) => {
        lists++;
        return list(pattern);
      };
      const run = await cli([
        "create",
        "--file",
        files.path("two.py"),
        "--config",
        files.path("task.yaml"),
        "--class",
        "B",
        "--no-wait",
        "--json",
        "--port",
        port,
      ]);
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(JSON.parse(run.stdout), {
        status_code: 201,
        message: "Function 'job' created",
        name: "job",
      });
      assert.equal(lists, 0);
      assert.equal(control.functions.get("job")!.input.className, "B");
      assert.doesNotMatch(run.stderr, /waiting/);
    });
  } finally {
    await Deno.remove(files.dir, { recursive: true });
  }
});

Deno.test("create asks for --class when the file has zero or several operator classes", async () => {
  const files = await writeTempFiles({
    "two.py": TWO_OPERATORS,
    "none.py": "class Plain:\n    pass\n",
    "task.yaml": taskYaml("job"),
  });
  try {
    const port = "1"; // never dialled: detection fails first
    const several = await cli([
      "create",
      "--file",
      files.path("two.py"),
      "--config",
      files.path("task.yaml"),
      "--port",
      port,
    ]);
    assert.equal(several.code, 2);
    assert.match(
      several.stderr,
      /defines several subclasses of FSProcessorDriver \(A, B\): pass --class NAME/,
    );
    const none = await cli([
      "create",
      "--file",
      files.path("none.py"),
      "--config",
      files.path("task.yaml"),
    ]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /defines no subclass of FSProcessorDriver/);
  } finally {
    await Deno.remove(files.dir, { recursive: true });
  }
});

Deno.test("create reports missing flags, unreadable files and duplicate module names as usage errors", async () => {
  const files = await writeTempFiles({
    "op.py": OPERATOR,
    "task.yaml": taskYaml("job"),
  });
  try {
    const noConfig = await cli(["create", "--file", files.path("op.py")]);
    assert.equal(noConfig.code, 2);
    assert.match(
      noConfig.stderr,
      /^error: missing --config\n\nUsage: .* create /,
    );

    const missing = await cli([
      "create",
      "--file",
      files.path("nope.py"),
      "--config",
      files.path("task.yaml"),
    ]);
    assert.equal(missing.code, 2);
    assert.match(
      missing.stderr,
      /Cannot read --file as the file does not exist/,
    );

    const twice = await cli([
      "create",
      "--file",
      files.path("op.py"),
      "--config",
      files.path("task.yaml"),
      "--module",
      `op=${files.path("op.py")}`,
    ]);
    assert.equal(twice.code, 2);
    assert.match(twice.stderr, /two of them are named 'op'/);
  } finally {
    await Deno.remove(files.dir, { recursive: true });
  }
});

Deno.test("create exits 1 with the server's message when the name is taken", async () => {
  const files = await writeTempFiles({
    "op.py": OPERATOR,
    "task.yaml": taskYaml("job"),
  });
  const args = [
    "create",
    "--file",
    files.path("op.py"),
    "--config",
    files.path("task.yaml"),
  ];
  try {
    await withServer(async ({ port }) => {
      assert.equal((await cli([...args, "--port", port])).code, 0);
      const again = await cli([...args, "--port", port]);
      assert.equal(again.code, 1);
      assert.match(
        again.stderr,
        /error \(409\): Cannot create function as the name is taken/,
      );
    });
  } finally {
    await Deno.remove(files.dir, { recursive: true });
  }
});

Deno.test("create waits through STARTING and reports FAILED with the last error (exit 1)", async () => {
  const files = await writeTempFiles({
    "op.py": OPERATOR,
    "task.yaml": taskYaml("job"),
  });
  try {
    await withServer(async ({ port, control }) => {
      const create = control.createPythonFunction;
      control.createPythonFunction = async (input) => {
        await create(input);
        control.functions.get("job")!.info.status = "STARTING";
      };
      let polls = 0;
      const list = control.listFunctions;
      control.listFunctions = (pattern) => {
        if (++polls === 3) {
          const info = control.functions.get("job")!.info;
          info.status = "FAILED";
          info.lastError = "ImportError: No module named 'helpers'";
        }
        return list(pattern);
      };
      const run = await cli([
        "create",
        "--file",
        files.path("op.py"),
        "--config",
        files.path("task.yaml"),
        "--json",
        "--port",
        port,
      ]);
      assert.equal(run.code, 1);
      assert.deepEqual(JSON.parse(run.stdout), {
        status_code: 201,
        message: "Function 'job' created",
        name: "job",
        status: "FAILED",
        last_error: "ImportError: No module named 'helpers'",
      });
      assert.match(
        run.stderr,
        /error: Function 'job' FAILED: ImportError: No module named 'helpers'\n$/,
      );
      assert.ok(polls >= 3);
    });
  } finally {
    await Deno.remove(files.dir, { recursive: true });
  }
});

Deno.test("create exits 4 when the function does not run within --timeout", async () => {
  const files = await writeTempFiles({
    "op.py": OPERATOR,
    "task.yaml": taskYaml("job"),
  });
  try {
    await withServer(async ({ port, control }) => {
      const create = control.createPythonFunction;
      control.createPythonFunction = async (input) => {
        await create(input);
        control.functions.get("job")!.info.status = "STARTING";
      };
      const run = await cli([
        "create",
        "--file",
        files.path("op.py"),
        "--config",
        files.path("task.yaml"),
        "--timeout",
        "0.4",
        "--port",
        port,
      ]);
      assert.equal(run.code, 4);
      assert.match(
        run.stderr,
        /timed out after 0.4 s waiting for function 'job' to run: current status is STARTING/,
      );
    });
  } finally {
    await Deno.remove(files.dir, { recursive: true });
  }
});

Deno.test("findDriverClasses() finds FSProcessorDriver subclasses, qualified or multi-line", () => {
  assert.deepEqual(findDriverClasses(OPERATOR), ["MetricProcessor"]);
  assert.deepEqual(findDriverClasses(TWO_OPERATORS), ["A", "B"]);
  assert.deepEqual(
    findDriverClasses("class X(MyFSProcessorDriverBase): pass"),
    [],
  );
  assert.equal(pickClassName(OPERATOR, "op.py"), "MetricProcessor");
  assert.throws(() => pickClassName("", "e.py"), /e\.py defines no subclass/);
});
