/**
 * Compares the keyed counter's output (see keyed_counter.ts) with what one
 * failure-free run gives, and words every difference with the key, what was
 * expected and what was read. Checks return problems (empty when all is
 * well) so a test can print them all at once.
 * @module
 */
import type { CounterDump } from "./keyed_counter.ts";

/** The counter's output split into count records and dumps. */
export interface CounterOutput {
  /** The counts read per key, in output order. */
  perKey: Map<string, number[]>;
  /** Count records read. */
  countRecords: number;
  /** The dumps read, in output order. */
  dumps: CounterDump[];
  /** Records that are neither "key:count" nor a dump. */
  malformed: string[];
}

/** Splits output values into per-key counts and dumps. */
export function parseCounterOutput(values: readonly string[]): CounterOutput {
  const perKey = new Map<string, number[]>();
  const dumps: CounterDump[] = [];
  const malformed: string[] = [];
  let countRecords = 0;
  for (const value of values) {
    if (value.startsWith("dump:")) {
      try {
        dumps.push(JSON.parse(value.slice(5)) as CounterDump);
      } catch {
        malformed.push(value);
      }
      continue;
    }
    const match = value.match(/^([^:]+):(\d+)$/);
    if (match === null) {
      malformed.push(value);
      continue;
    }
    countRecords++;
    const list = perKey.get(match[1]) ?? [];
    list.push(Number(match[2]));
    perKey.set(match[1], list);
  }
  return { perKey, countRecords, dumps, malformed };
}

function shown(values: readonly unknown[], at: number): string {
  const from = Math.max(0, at - 3);
  const part = values.slice(from, at + 4).join(",");
  return `${from > 0 ? "...," : ""}${part}${
    at + 4 < values.length ? ",..." : ""
  }`;
}

function commonProblems(
  output: CounterOutput,
  expected: ReadonlyMap<string, number>,
): string[] {
  const problems: string[] = [];
  for (const value of output.malformed.slice(0, 5)) {
    problems.push(`malformed output record ${JSON.stringify(value)}`);
  }
  for (const key of output.perKey.keys()) {
    if (!expected.has(key)) {
      problems.push(`key ${key}: not in the input, yet output has counts`);
    }
  }
  for (const [key, n] of expected) {
    if (!output.perKey.has(key)) {
      problems.push(`key ${key}: expected counts 1..${n}, got no output`);
    }
  }
  return problems;
}

/**
 * Exactly once: for every key, the counts 1..n in order, each once, and
 * nothing else.
 */
export function exactlyOnceProblems(
  output: CounterOutput,
  expected: ReadonlyMap<string, number>,
): string[] {
  const problems = commonProblems(output, expected);
  const total = [...expected.values()].reduce((a, b) => a + b, 0);
  if (output.countRecords !== total) {
    problems.unshift(
      `expected ${total} count records in all, got ${output.countRecords}`,
    );
  }
  for (const [key, n] of expected) {
    const got = output.perKey.get(key);
    if (got === undefined) continue;
    const bad = got.findIndex((count, i) => count !== i + 1);
    if (bad >= 0) {
      const kind = got[bad] <= bad ? "duplicate" : "gap";
      problems.push(
        `key ${key}: output record ${bad + 1} has count ${got[bad]}, expected ${
          bad + 1
        } (${kind}); ${got.length} records for ${n} inputs; counts read: ${
          shown(got, bad)
        }`,
      );
    } else if (got.length !== n) {
      problems.push(
        `key ${key}: expected counts 1..${n}, got 1..${got.length}`,
      );
    }
  }
  return problems;
}

/**
 * At least once: for every key, every count 1..n appears, none above n, and
 * read in order no count skips ahead of the highest one so far (a replay
 * after a crash may repeat counts, never leave one out).
 */
export function atLeastOnceProblems(
  output: CounterOutput,
  expected: ReadonlyMap<string, number>,
): string[] {
  const problems = commonProblems(output, expected);
  for (const [key, n] of expected) {
    const got = output.perKey.get(key);
    if (got === undefined) continue;
    let highest = 0;
    for (let i = 0; i < got.length; i++) {
      if (got[i] < 1 || got[i] > highest + 1) {
        problems.push(
          `key ${key}: output record ${i + 1} has count ${
            got[i]
          } after a highest count of ${highest} (gap); counts read: ${
            shown(got, i)
          }`,
        );
        break;
      }
      highest = Math.max(highest, got[i]);
    }
    if (highest !== n) {
      problems.push(
        `key ${key}: expected counts up to ${n}, highest read is ${highest}`,
      );
    }
  }
  return problems;
}

/** How many count records repeat a count already read for their key. */
export function duplicateCount(output: CounterOutput): number {
  let duplicates = 0;
  for (const counts of output.perKey.values()) {
    duplicates += counts.length - new Set(counts).size;
  }
  return duplicates;
}

/**
 * The final state: exactly the expected count for every key, no other key,
 * and the in-memory record count (carried by the checkpoint hook) equal to
 * the number of records.
 */
export function dumpProblems(
  dump: CounterDump,
  expected: ReadonlyMap<string, number>,
): string[] {
  const problems: string[] = [];
  for (const [key, n] of expected) {
    const got = dump.counts[key];
    if (got !== n) {
      problems.push(
        `state of key ${key}: expected ${n}, got ${got ?? "no entry"}`,
      );
    }
  }
  for (const key of Object.keys(dump.counts)) {
    if (!expected.has(key)) {
      problems.push(`state has key ${key} (${dump.counts[key]}), not in input`);
    }
  }
  const total = [...expected.values()].reduce((a, b) => a + b, 0);
  if (dump.seen !== total) {
    problems.push(
      `in-memory count restored through take_checkpoint/restore_checkpoint: expected ${total}, got ${dump.seen}`,
    );
  }
  return problems;
}

/** Words problems for an assertion message: how many, then the first `limit`. */
export function describeProblems(
  title: string,
  problems: readonly string[],
  limit = 25,
): string {
  const more = problems.length > limit
    ? `\n  ... and ${problems.length - limit} more`
    : "";
  return `${title}: ${problems.length} problem(s)\n  ${
    problems.slice(0, limit).join("\n  ")
  }${more}`;
}

/**
 * Checks a whole run: the count records (exactly or at least once, per
 * `guarantee`), one dump as the last record, and the state it shows.
 * Returns the parsed output and the dump.
 *
 * @throws {Error} listing every problem found.
 */
export function checkCounterRun(
  values: readonly string[],
  expected: ReadonlyMap<string, number>,
  options: { guarantee: "exactly_once" | "at_least_once" },
): { output: CounterOutput; dump: CounterDump } {
  const output = parseCounterOutput(values);
  const problems = options.guarantee === "exactly_once"
    ? exactlyOnceProblems(output, expected)
    : atLeastOnceProblems(output, expected);
  const dump = output.dumps.at(-1);
  if (output.dumps.length !== 1 || !values.at(-1)?.startsWith("dump:")) {
    problems.push(
      `expected one state dump as the last output record, got ${output.dumps.length} dump(s); last record is ${
        JSON.stringify(values.at(-1)?.slice(0, 80))
      }`,
    );
  }
  if (dump !== undefined) problems.push(...dumpProblems(dump, expected));
  if (problems.length > 0 || dump === undefined) {
    throw new Error(
      describeProblems(
        `The output differs from a failure-free run (${options.guarantee}, ${values.length} records read)`,
        problems,
      ),
    );
  }
  return { output, dump };
}
