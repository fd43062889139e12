/**
 * Task config and upload mistakes sent through gRPC to the real server: each
 * is answered 400 with a message naming the field or the limit, and nothing
 * is registered.
 */
import assert from "node:assert/strict";
import { parse, stringify } from "yaml";
import { RpcClient, spawnServer, taskYaml } from "./helpers/hardening.ts";

const BASE = parse(taskYaml({
  name: "valid-name",
  bootstrap: "127.0.0.1:9092",
  input: "in-topic",
  output: "out-topic",
  initConfig: { metric_name: "clicks" },
})) as Record<string, unknown>;

type Doc = Record<string, unknown>;
type Input = Record<string, unknown>;

function input(doc: Doc): Input {
  const groups = doc["input-groups"] as { inputs: Input[] }[];
  return groups[0].inputs[0];
}

function output(doc: Doc): Input {
  return (doc.outputs as Input[])[0];
}

/** A copy of the valid config changed by `edit`, as YAML. */
function mutated(edit: (doc: Doc) => void): string {
  const doc = structuredClone(BASE);
  edit(doc);
  return stringify(doc);
}

/** [what, config YAML, field the message must name]. */
const CONFIG_MISTAKES: [string, string, string][] = [
  ["name missing", mutated((d) => delete d.name), "'name'"],
  ["name empty", mutated((d) => (d.name = "")), "'name'"],
  ["name 129 characters", mutated((d) => (d.name = "n".repeat(129))), "'name'"],
  ["name with a space", mutated((d) => (d.name = "bad name")), "'name'"],
  ["name with a slash", mutated((d) => (d.name = "../etc/passwd")), "'name'"],
  ["name starting with '-'", mutated((d) => (d.name = "-x")), "'name'"],
  ["name non-ASCII", mutated((d) => (d.name = "fünf")), "'name'"],
  ["type unknown", mutated((d) => (d.type = "java")), "'type'"],
  ["type wasm", mutated((d) => (d.type = "wasm")), "type"],
  [
    "input groups missing",
    mutated((d) => delete d["input-groups"]),
    "'input-groups'",
  ],
  [
    "input groups empty",
    mutated((d) => (d["input-groups"] = [])),
    "'input-groups'",
  ],
  [
    "65 input groups",
    mutated((d) => {
      const one = (d["input-groups"] as unknown[])[0];
      d["input-groups"] = Array.from(
        { length: 65 },
        () => structuredClone(one),
      );
    }),
    "'input-groups'",
  ],
  [
    "group without inputs",
    mutated((d) => (d["input-groups"] = [{}])),
    "'input-groups[0].inputs'",
  ],
  [
    "group with no input",
    mutated((d) => (d["input-groups"] = [{ inputs: [] }])),
    "'input-groups[0].inputs'",
  ],
  [
    "input not a mapping",
    mutated((d) => (d["input-groups"] = [{ inputs: ["kafka"] }])),
    "'input-groups[0].inputs[0]'",
  ],
  [
    "input type unknown",
    mutated((d) => (input(d)["input-type"] = "rabbitmq")),
    "'input-groups[0].inputs[0].input-type'",
  ],
  [
    "group_id missing",
    mutated((d) => delete input(d).group_id),
    "'input-groups[0].inputs[0].group_id'",
  ],
  [
    "input topic missing",
    mutated((d) => delete input(d).topic),
    "'input-groups[0].inputs[0].topic'",
  ],
  [
    "input topic with a space",
    mutated((d) => (input(d).topic = "bad topic")),
    "'input-groups[0].inputs[0].topic'",
  ],
  [
    "input topic '..'",
    mutated((d) => (input(d).topic = "..")),
    "'input-groups[0].inputs[0].topic'",
  ],
  [
    "input topic 250 characters",
    mutated((d) => (input(d).topic = "t".repeat(250))),
    "'input-groups[0].inputs[0].topic'",
  ],
  [
    "output topic with a slash",
    mutated((d) => (output(d).topic = "out/../x")),
    "'outputs[0].topic'",
  ],
  [
    "topic read twice",
    mutated((d) => {
      const groups = d["input-groups"] as { inputs: Input[] }[];
      groups.push(structuredClone(groups[0]));
    }),
    "'input-groups[1].inputs[0].topic'",
  ],
  [
    "partition negative",
    mutated((d) => (input(d).partition = -1)),
    "'input-groups[0].inputs[0].partition'",
  ],
  [
    "partition fractional",
    mutated((d) => (input(d).partition = 1.5)),
    "'input-groups[0].inputs[0].partition'",
  ],
  [
    "partition text",
    mutated((d) => (input(d).partition = "zero")),
    "'input-groups[0].inputs[0].partition'",
  ],
  [
    "output partition negative",
    mutated((d) => (output(d).partition = -3)),
    "'outputs[0].partition'",
  ],
  [
    "bootstrap servers missing",
    mutated((d) => delete input(d).bootstrap_servers),
    "'input-groups[0].inputs[0].bootstrap_servers'",
  ],
  [
    "bootstrap server without port",
    mutated((d) => (input(d).bootstrap_servers = "localhost")),
    "'input-groups[0].inputs[0].bootstrap_servers'",
  ],
  [
    "bootstrap server with a text port",
    mutated((d) => (input(d).bootstrap_servers = "127.0.0.1:kafka")),
    "'input-groups[0].inputs[0].bootstrap_servers'",
  ],
  [
    "bootstrap list with a URL",
    mutated((
      d,
    ) => (output(d).bootstrap_servers = [
      "127.0.0.1:9092",
      "http://evil:80/x",
    ])),
    "'outputs[0].bootstrap_servers'",
  ],
  [
    "checkpoint interval 0",
    mutated((d) => (d.checkpoint_interval_seconds = 0)),
    "'checkpoint_interval_seconds'",
  ],
  [
    "checkpoint interval negative",
    mutated((d) => (d.checkpoint_interval_seconds = -5)),
    "'checkpoint_interval_seconds'",
  ],
  [
    "checkpoint interval fractional",
    mutated((d) => (d.checkpoint_interval_seconds = 0.5)),
    "'checkpoint_interval_seconds'",
  ],
  [
    "checkpoint interval text",
    mutated((d) => (d.checkpoint_interval_seconds = "often")),
    "'checkpoint_interval_seconds'",
  ],
  [
    "init_config a list",
    mutated((d) => (d.init_config = ["a", "b"])),
    "'init_config'",
  ],
  [
    "init_config nested value",
    mutated((d) => (d.init_config = { metric_name: { nested: 1 } })),
    "'init_config.metric_name'",
  ],
  [
    "init_config list value",
    mutated((d) => (d.init_config = { metric_name: [1, 2] })),
    "'init_config.metric_name'",
  ],
  [
    "unknown top-level key",
    mutated((d) => (d.run_as_root = true)),
    "'run_as_root'",
  ],
  [
    "enable_checkpoint text",
    mutated((d) => (d.enable_checkpoint = "yes")),
    "'enable_checkpoint'",
  ],
  ["outputs not a list", mutated((d) => (d.outputs = "topic")), "'outputs'"],
  ["document a list", "- name: x\n", "'(document)'"],
  ["not YAML", "name: [unclosed\n  : :", "Cannot parse task config as YAML"],
];

const MODULE = {
  module_name: "job",
  module_bytes: new TextEncoder().encode(
    "from fs_api import FSProcessorDriver\nclass Job(FSProcessorDriver):\n    pass\n",
  ),
};

function bytes(size: number): Uint8Array {
  return new TextEncoder().encode(`# ${"x".repeat(Math.max(0, size - 3))}\n`);
}

/** [what, modules, class name, pattern the message must match]. */
const UPLOAD_MISTAKES: [string, object[], string, RegExp][] = [
  [
    "257 modules",
    Array.from({ length: 257 }, (_, i) => ({
      module_name: `m${i}`,
      module_bytes: new Uint8Array(),
    })),
    "Job",
    /257 modules as the limit is 256 modules/,
  ],
  [
    "a module over 4 MiB",
    [{ module_name: "huge", module_bytes: bytes(4 * 1024 * 1024 + 1) }, MODULE],
    "Job",
    /module 'huge' of 4194305 bytes as the limit is 4194304 bytes per module/,
  ],
  [
    "17.5 MiB in total",
    [
      ...Array.from({ length: 5 }, (_, i) => ({
        module_name: `part${i}`,
        module_bytes: bytes(3.5 * 1024 * 1024),
      })),
      MODULE,
    ],
    "Job",
    /as the limit is 16777216 bytes in total/,
  ],
  ...[
    "../evil",
    "/etc/passwd",
    "pkg/mod",
    "pkg\\mod",
    "pkg..mod",
    ".hidden",
    "mod.",
    "1abc",
    "with space",
    "nul\u0000byte",
    "m".repeat(256),
  ].map((name): [string, object[], string, RegExp] => [
    `module name ${JSON.stringify(name.slice(0, 20))}`,
    [{ module_name: name, module_bytes: MODULE.module_bytes }],
    "Job",
    /is (not a dotted Python module path|empty)/,
  ]),
  [
    "the same module twice",
    [MODULE, MODULE],
    "Job",
    /module 'job' is uploaded twice/,
  ],
  [
    "a module that is not UTF-8",
    [{ module_name: "job", module_bytes: new Uint8Array([0x78, 0xff, 0xfe]) }],
    "Job",
    /module 'job' is not UTF-8 text/,
  ],
  ["no module", [], "Job", /no modules were uploaded/],
  ["class name with a dot", [MODULE], "os.system", /class_name/],
  ["class name empty", [MODULE], "", /class_name is empty/],
];

Deno.test({
  name:
    "CreatePythonFunction answers 400 naming the field for every task config mistake, and 400 naming the limit for every upload violation",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "fs-hardening-config-" });
    const server = await spawnServer({ dataDir });
    const client = new RpcClient(server.port, {});
    try {
      for (const [what, yaml, field] of CONFIG_MISTAKES) {
        const reply = await client.call("CreatePythonFunction", {
          class_name: "Job",
          modules: [MODULE],
          config_content: yaml,
        });
        assert.equal(reply.status_code, 400, `${what}: ${reply.message}`);
        assert.ok(
          reply.message.includes(field),
          `${what}: ${reply.message} does not name ${field}`,
        );
      }
      const validYaml = stringify(BASE);
      for (const [what, modules, className, pattern] of UPLOAD_MISTAKES) {
        const reply = await client.call("CreatePythonFunction", {
          class_name: className,
          modules,
          config_content: validYaml,
        });
        assert.equal(reply.status_code, 400, `${what}: ${reply.message}`);
        assert.match(reply.message, pattern, what);
      }
      assert.deepEqual(await client.list(), []);
      assert.ok(server.alive());
    } finally {
      client.close();
      assert.equal(await server.stop(), 0, server.output());
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "an upload whose module shadows a runtime module (fs_api, js, pyodide, ...) is refused with 400 and leaves no function behind",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "fs-hardening-config-" });
    const server = await spawnServer({ dataDir });
    const client = new RpcClient(server.port, {});
    try {
      for (const reserved of ["fs_api", "fs_runtime", "pyodide", "js"]) {
        const name = `shadow-${reserved.replace("_", "-")}`;
        const reply = await client.call("CreatePythonFunction", {
          class_name: "Job",
          modules: [
            { module_name: reserved, module_bytes: MODULE.module_bytes },
            MODULE,
          ],
          config_content: stringify({ ...BASE, name }),
        });
        assert.equal(reply.status_code, 400, reply.message);
        assert.match(reply.message, /shadow/);
      }
      assert.deepEqual(
        (await client.list()).map((f) => `${f.name} ${f.status}`),
        [],
        "a refused upload stayed registered",
      );
    } finally {
      client.close();
      assert.equal(await server.stop(), 0, server.output());
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
