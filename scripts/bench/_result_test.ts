import assert from "node:assert/strict";
import {
  atLeast,
  atMost,
  BenchReport,
  renderFigures,
  renderTargets,
} from "./_result.ts";

Deno.test("atLeast() reaches at the limit and words how far a miss is", () => {
  const hit = atLeast("t", "x >= 0.8", { value: 0.8, limit: 0.8, unit: "x" });
  assert.equal(hit.reached, true);
  const miss = atLeast("t", "x >= 0.8", { value: 0.4, limit: 0.8, unit: "x" });
  assert.equal(miss.reached, false);
  assert.match(miss.gap, /50\.0% of 0\.800 x/);
  assert.match(miss.gap, /short by 0\.400 x/);
  const none = atLeast("t", "x", { value: null, limit: 1, unit: "x" });
  assert.equal(none.reached, null);
});

Deno.test("atMost() reaches at the limit and words a miss as a multiple", () => {
  assert.equal(
    atMost("t", "ms <= 250", { value: 250, limit: 250, unit: "ms" }).reached,
    true,
  );
  const miss = atMost("t", "ms <= 250", { value: 500, limit: 250, unit: "ms" });
  assert.equal(miss.reached, false);
  assert.match(miss.gap, /2\.00x the limit of 250 ms \(over by 250 ms\)/);
});

Deno.test("BenchReport.figure() computes the ratio against its baseline", () => {
  const report = new BenchReport("b", { quick: true });
  report.figure({
    id: "a",
    label: "A",
    value: 50,
    unit: "msg/s",
    baseline: { label: "base", value: 200 },
  });
  report.figure({ id: "b", label: "B", value: 3, unit: "ms" });
  report.figure({
    id: "c",
    label: "C",
    value: 3,
    unit: "ms",
    baseline: { label: "zero", value: 0 },
  });
  const [a, b, c] = report.result.figures;
  assert.equal(a.ratio, 0.25);
  assert.equal("ratio" in b, false);
  assert.equal(c.ratio, null);
  const table = renderFigures(report.result.figures);
  assert.match(
    table,
    /\| A \| 50\.0 msg\/s \| 200 msg\/s \(base\) \| 0\.250x \|/,
  );
});

Deno.test("renderTargets() marks misses and unmeasured targets", () => {
  const table = renderTargets([
    atLeast("a", "A", { value: 1, limit: 2, unit: "x" }),
    atLeast("b", "B", { value: null, limit: 2, unit: "x" }),
    atMost("c", "C", { value: 1, limit: 2, unit: "ms" }),
  ]);
  assert.match(table, /\| A \| MISSED \|/);
  assert.match(table, /\| B \| not measured \|/);
  assert.match(table, /\| C \| reached \|/);
});
