import assert from "node:assert/strict";
import { pythonCommand } from "./_cpython.ts";
import { metricProcessorSource } from "./_operator.ts";
import { NOOP_CLASS, PROBE_CLASS, probeModule } from "./_pyodide_probes.ts";

Deno.test("probeModule() is valid Python defining both probes", async () => {
  const source = probeModule(await metricProcessorSource(), 3);
  assert.match(
    source,
    new RegExp(`class ${PROBE_CLASS}\\(FSProcessorDriver\\)`),
  );
  assert.match(
    source,
    new RegExp(`class ${NOOP_CLASS}\\(FSProcessorDriver\\)`),
  );
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
