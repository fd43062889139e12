import assert from "node:assert/strict";
import { renderReport, type RunInfo, suiteReport } from "./_report.ts";
import { atMost } from "./_result.ts";

const run: RunInfo = {
  started: "2025-01-01T00:00:00.000Z",
  seconds: 12,
  mode: "quick",
  cores: 2,
  cpu: "Test CPU",
  deno: "2.9.6",
  load: { start: [1, 2, 3], end: null },
  command: "deno task bench --quick",
  git: { commit: "0123456789abcdef", dirty: true },
};

Deno.test("suiteReport() gathers every script's targets in order", () => {
  const report = suiteReport(run, [
    {
      script: "a.ts",
      ok: true,
      seconds: 1,
      loadAtStart: 1,
      text: "",
      result: {
        bench: "a",
        quick: true,
        figures: [],
        targets: [atMost("x", "X", { value: 1, limit: 2, unit: "ms" })],
        notes: [],
      },
    },
    {
      script: "b.ts",
      ok: false,
      seconds: 2,
      loadAtStart: null,
      text: "raw",
      result: null,
    },
  ]);
  assert.deepEqual(report.targets.map((t) => t.id), ["x"]);
  const md = renderReport(report);
  assert.match(md, /Command: `deno task bench --quick` \(quick run, 12 s\)/);
  assert.match(md, /0123456789ab plus uncommitted changes/);
  assert.match(md, /\| X \| reached \|/);
  assert.match(md, /## b\.ts \(FAILED\)/);
  assert.match(md, /```\nraw\n```/);
  assert.match(md, /1 2 3 at start, unknown at end/);
});
