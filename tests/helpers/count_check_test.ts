import assert from "node:assert/strict";
import {
  atLeastOnceProblems,
  dumpProblems,
  duplicateCount,
  exactlyOnceProblems,
  parseCounterOutput,
} from "./count_check.ts";
import { keyedInput } from "./keyed_counter.ts";

const expected = new Map([["a", 3], ["b", 2]]);

Deno.test("exactlyOnceProblems() accepts counts 1..n per key in order, interleaved", () => {
  const output = parseCounterOutput(["a:1", "b:1", "a:2", "b:2", "a:3"]);
  assert.deepEqual(exactlyOnceProblems(output, expected), []);
});

Deno.test("exactlyOnceProblems() names the key of a duplicate, a gap, a missing key and a stray record", () => {
  const dup = exactlyOnceProblems(
    parseCounterOutput(["a:1", "a:2", "a:2", "a:3", "b:1", "b:2"]),
    expected,
  );
  assert.match(dup.join("\n"), /expected 5 count records in all, got 6/);
  assert.match(
    dup.join("\n"),
    /key a: output record 3 has count 2, expected 3 \(duplicate\)/,
  );
  const gap = exactlyOnceProblems(
    parseCounterOutput(["a:1", "a:3", "b:1", "b:2", "x", "c:1"]),
    expected,
  );
  assert.match(
    gap.join("\n"),
    /key a: output record 2 has count 3, expected 2 \(gap\)/,
  );
  assert.match(gap.join("\n"), /malformed output record "x"/);
  assert.match(gap.join("\n"), /key c: not in the input/);
  const missing = exactlyOnceProblems(
    parseCounterOutput(["a:1", "a:2"]),
    expected,
  );
  assert.match(missing.join("\n"), /key a: expected counts 1..3, got 1..2/);
  assert.match(
    missing.join("\n"),
    /key b: expected counts 1..2, got no output/,
  );
});

Deno.test("atLeastOnceProblems() allows replays but no gap and no missing tail", () => {
  const replayed = parseCounterOutput([
    "a:1",
    "a:2",
    "a:1",
    "a:2",
    "a:3",
    "b:1",
    "b:2",
    "b:2",
  ]);
  assert.deepEqual(atLeastOnceProblems(replayed, expected), []);
  assert.equal(duplicateCount(replayed), 3);
  const gap = atLeastOnceProblems(
    parseCounterOutput(["a:1", "a:3", "a:2", "b:1", "b:2"]),
    expected,
  );
  assert.match(
    gap.join("\n"),
    /key a: output record 2 has count 3 after a highest count of 1 \(gap\)/,
  );
  const short = atLeastOnceProblems(
    parseCounterOutput(["a:1", "a:2", "b:1", "b:2"]),
    expected,
  );
  assert.match(
    short.join("\n"),
    /key a: expected counts up to 3, highest read is 2/,
  );
});

Deno.test("dumpProblems() compares every key's state and the restored in-memory count", () => {
  assert.deepEqual(
    dumpProblems({ counts: { a: 3, b: 2 }, seen: 5, restored: [4] }, expected),
    [],
  );
  const problems = dumpProblems(
    { counts: { a: 4, z: 1 }, seen: 7, restored: [] },
    expected,
  ).join("\n");
  assert.match(problems, /state of key a: expected 3, got 4/);
  assert.match(problems, /state of key b: expected 2, got no entry/);
  assert.match(problems, /state has key z/);
  assert.match(problems, /expected 5, got 7/);
});

Deno.test("keyedInput() is deterministic, partitions by key and counts every record", () => {
  const one = keyedInput(1000, { keys: 10, partitions: 2, seed: 7 });
  const two = keyedInput(1000, { keys: 10, partitions: 2, seed: 7 });
  assert.deepEqual(one, two);
  assert.equal([...one.expected.values()].reduce((a, b) => a + b, 0), 1000);
  assert.equal(one.expected.size, 10);
  for (let i = 0; i < one.keys.length; i++) {
    assert.equal(one.partitions[i], Number(one.keys[i].slice(1)) % 2);
  }
});
