/**
 * At-least-once through server crashes: the keyed count with
 * `checkpoint_guarantee: at_least_once` and two SIGKILLs. Outputs are
 * written at once, so a crash replays what followed the last checkpoint:
 * every count must appear at least once (repeats allowed, no gap), and the
 * state, restored from checkpoints, must still be exact.
 * Replay a failing run with FS_TEST_SEED=<printed seed>.
 */
import assert from "node:assert/strict";
import { createFunction, waitFor } from "./_lifecycle_util.ts";
import {
  checkCounterRun,
  duplicateCount,
  parseCounterOutput,
} from "./helpers/count_check.ts";
import {
  crashRepeatedly,
  crashSeed,
  machineLoad,
} from "./helpers/crash_loop.ts";
import { consumeAll, createTopic, uniqueTopic } from "./helpers/kafka.ts";
import {
  COUNTER_CLASS,
  COUNTER_SOURCE,
  counterTaskYaml,
  DUMP_RECORD,
  inputSlice,
  keyedInput,
  produceKeyed,
  produceOne,
  seededRandom,
} from "./helpers/keyed_counter.ts";
import { OutputWatcher } from "./helpers/output_watcher.ts";
import { RestartableServer } from "./helpers/restartable_server.ts";

const RECORDS = 100_000;
const KEYS = 500;
const PARTITIONS = 2;
const KILLS = 2;

/** Distinct "key:count" records read: the input records whose effect was seen. */
function distinctCounts(values: readonly string[]): number {
  return new Set(values.filter((v) => !v.startsWith("dump:"))).size;
}

Deno.test({
  name:
    "at-least-once checkpoints: after SIGKILLs every keyed count is read at least once (repeats allowed, no gap) and the final state is exact",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const seed = crashSeed();
    const random = seededRandom(seed);
    console.log(`seed ${seed} (replay with FS_TEST_SEED=${seed})`);
    const started = performance.now();
    const [input, output] = ["ck-alo-in", "ck-alo-out"].map(uniqueTopic);
    await createTopic(input, { partitions: PARTITIONS });
    await createTopic(output);
    const keyed = keyedInput(RECORDS, {
      keys: KEYS,
      partitions: PARTITIONS,
      seed: 2,
    });
    // One part now and one after each crash (see inputSlice).
    let produced = 0;
    const produceNext = () =>
      produceKeyed(
        input,
        inputSlice(keyed, { index: produced++, count: KILLS + 1 }),
      );
    await produceNext();

    const dataDir = await Deno.makeTempDir({ prefix: "fs-ck-alo-" });
    const server = await RestartableServer.start(dataDir);
    const watcher = await OutputWatcher.start(output);
    const explain = () =>
      `output read so far: ${watcher.count} (${
        distinctCounts(watcher.values())
      } distinct)\n${machineLoad()}\n${server.logTail()}`;
    try {
      await createFunction(server.client, {
        className: COUNTER_CLASS,
        source: COUNTER_SOURCE,
        yaml: counterTaskYaml({
          name: "ck-alo-counter",
          input,
          output,
          guarantee: "at_least_once",
        }),
      });
      const kills = await crashRepeatedly({
        crashes: KILLS,
        total: RECORDS,
        progress: () => distinctCounts(watcher.values()),
        random,
        explain,
        crash: async () => {
          await server.kill();
          await produceNext();
          await server.restart();
        },
      });
      console.log(`kills: ${JSON.stringify(kills)}`);
      await waitFor(
        `every count of ${RECORDS} records\n${explain()}`,
        () => distinctCounts(watcher.values()) >= RECORDS ? true : undefined,
        120_000,
      );
      await produceOne(input, DUMP_RECORD);
      await waitFor(
        `the state dump\n${explain()}`,
        () => watcher.values().at(-1)?.startsWith("dump:") ? true : undefined,
        30_000,
      );
      assert.equal(await server.stop(), 0, server.logTail());
      await new Promise((r) => setTimeout(r, 1_000));
      const read = await consumeAll(output, {
        count: watcher.count,
        timeoutMs: 60_000,
        isolation: "read_committed",
      });
      const values = read.map((r) => new TextDecoder().decode(r.value));
      assert.deepEqual(values, watcher.values());
      const { dump } = checkCounterRun(values, keyed.expected, {
        guarantee: "at_least_once",
      });
      assert.ok(
        dump.restored.length === 1,
        `the last run was restored from one checkpoint: restored ${
          JSON.stringify(dump.restored)
        }`,
      );
      console.log(
        `${values.length - 1} count records for ${RECORDS} inputs (${
          duplicateCount(parseCounterOutput(values))
        } repeats) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
    } finally {
      await watcher.close();
      await server.kill(); // a no-op unless the test failed before its stop
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});
