import assert from "node:assert/strict";
import { fmt, median, mib, percentile, summarize } from "./_stats.ts";

Deno.test("percentile() uses the nearest rank", () => {
  const xs = [5, 1, 4, 2, 3, 6, 7, 8, 9, 10];
  assert.equal(percentile(xs, 50), 5);
  assert.equal(percentile(xs, 95), 10);
  assert.equal(percentile(xs, 10), 1);
  assert.equal(percentile(xs, 0), 1);
  assert.equal(percentile([42], 99), 42);
});

Deno.test("percentile() rejects an empty sample and p outside 0-100", () => {
  assert.throws(() => percentile([], 50), /sample is empty/);
  assert.throws(() => percentile([1], 101), /within 0-100/);
  assert.throws(() => percentile([1], Number.NaN), /within 0-100/);
});

Deno.test("summarize() reports extremes, mean and percentiles", () => {
  const xs = Array.from({ length: 100 }, (_, i) => i + 1);
  const s = summarize(xs);
  assert.deepEqual(
    [s.n, s.min, s.p50, s.p95, s.p99, s.max, s.mean],
    [100, 1, 50, 95, 99, 100, 50.5],
  );
  assert.equal(median([3, 1, 2]), 2);
});

Deno.test("fmt() shows fewer decimals for larger numbers and '-' for nothing", () => {
  assert.equal(fmt(123456.7), "123,457");
  assert.equal(fmt(12.345), "12.3");
  assert.equal(fmt(1.2345), "1.23");
  assert.equal(fmt(0.12345), "0.123");
  assert.equal(fmt(null), "-");
  assert.equal(fmt(Number.NaN), "-");
  assert.equal(mib(3 * 1024 * 1024), 3);
});
