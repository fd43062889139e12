import assert from "node:assert/strict";
import { pythonCommand } from "./_cpython.ts";
import { metricProcessorSource } from "./_operator.ts";
import {
  ECHO_CLASS,
  NOOP_CLASS,
  PROBE_CLASS,
  probeModule,
  STATE_CLASS,
} from "./_pyodide_probes.ts";

Deno.test("probeModule() is valid Python defining every probe", async () => {
  const source = probeModule(await metricProcessorSource(), 3);
  for (const name of [PROBE_CLASS, NOOP_CLASS, ECHO_CLASS, STATE_CLASS]) {
    assert.match(source, new RegExp(`class ${name}\\(FSProcessorDriver\\)`));
  }
  const out = await new Deno.Command(await pythonCommand(), {
    args: ["-c", "import ast, sys; ast.parse(sys.stdin.read())"],
    stdin: "piped",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const writer = out.stdin.getWriter();
  await writer.write(new TextEncoder().encode(source));
  await writer.close();
  const status = await out.output();
  assert.equal(status.code, 0, new TextDecoder().decode(status.stderr));
});
