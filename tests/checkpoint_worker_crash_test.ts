/**
 * Exactly-once through worker crashes: the keyed count of
 * checkpoint_sigkill_test.ts on an engine in this process, whose function
 * worker is killed (Engine.crashWorker) at random moments five times while
 * the engine stays up and the restart policy brings the function back.
 * Replay a failing run with FS_TEST_SEED=<printed seed>.
 */
import assert from "node:assert/strict";
import { waitFor } from "./_lifecycle_util.ts";
import { checkCounterRun } from "./helpers/count_check.ts";
import {
  crashRepeatedly,
  crashSeed,
  machineLoad,
} from "./helpers/crash_loop.ts";
import { startEngine } from "./helpers/engine_host.ts";
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

/**
 * At least 100,000 as the issue asks; more because one checkpoint interval
 * covers ~40,000 records on a 2-core machine, and the stream must outlast
 * five crashes that each follow a committed checkpoint.
 */
const RECORDS = 300_000;
const KEYS = 1_000;
const PARTITIONS = 2;
const CRASHES = 5;
const NAME = "ck-worker-counter";

Deno.test({
  name:
    "exactly-once checkpoints: 300,000 keyed counts through 5 worker crashes (engine up) read back (read_committed) as one failure-free run, with exact final state",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const seed = crashSeed();
    const random = seededRandom(seed);
    console.log(`seed ${seed} (replay with FS_TEST_SEED=${seed})`);
    const started = performance.now();
    const [input, output] = ["ck-worker-in", "ck-worker-out"].map(uniqueTopic);
    await createTopic(input, { partitions: PARTITIONS });
    await createTopic(output);
    const keyed = keyedInput(RECORDS, { keys: KEYS, partitions: PARTITIONS });
    // One part now and one after each crash (see inputSlice).
    let produced = 0;
    const produceNext = () =>
      produceKeyed(
        input,
        inputSlice(keyed, { index: produced++, count: CRASHES + 1 }),
      );
    await produceNext();

    const dataDir = await Deno.makeTempDir({ prefix: "fs-ck-worker-" });
    const host = await startEngine(dataDir);
    const watcher = await OutputWatcher.start(output);
    const explain = () =>
      `output read so far: ${watcher.count}\n${machineLoad()}\n--- engine log ---\n${host.logTail()}`;
    let closed = false;
    try {
      await host.engine.createPythonFunction({
        className: COUNTER_CLASS,
        modules: [{
          name: "keyed_counter",
          source: new TextEncoder().encode(COUNTER_SOURCE),
        }],
        configYaml: counterTaskYaml({
          name: NAME,
          input,
          output,
          guarantee: "exactly_once",
        }),
      });
      const processing = performance.now();
      const crashes = await crashRepeatedly({
        crashes: CRASHES,
        total: RECORDS,
        progress: () => watcher.count,
        random,
        explain,
        crash: async () => {
          await produceNext();
          const starts = host.events("function started", NAME);
          host.engine.crashWorker(NAME);
          await waitFor(
            `the restart policy to start ${NAME} again after a worker crash\n${explain()}`,
            () =>
              host.events("function started", NAME) > starts ? true : undefined,
            30_000,
          );
        },
      });
      console.log(`crashes: ${JSON.stringify(crashes)}`);
      await watcher.waitForCount(RECORDS, { timeoutMs: 120_000, explain });
      const seconds = (performance.now() - processing) / 1000;
      console.log(
        `${RECORDS} outputs committed ${seconds.toFixed(1)} s after create (${
          Math.round(RECORDS / seconds)
        } records/s including ${CRASHES} worker crashes)`,
      );
      assert.equal(
        host.events("function started", NAME),
        CRASHES + 1,
        `one start per crash and the first:\n${host.logTail()}`,
      );
      const [info] = await host.engine.listFunctions(NAME);
      assert.equal(info?.status, "RUNNING", explain());

      await produceOne(input, DUMP_RECORD);
      await watcher.waitForCount(RECORDS + 1, { timeoutMs: 30_000, explain });
      closed = true;
      await host.close();
      await new Promise((r) => setTimeout(r, 1_500));
      const committed = await consumeAll(output, {
        count: watcher.count,
        timeoutMs: 60_000,
        isolation: "read_committed",
      });
      const values = committed.map((r) => new TextDecoder().decode(r.value));
      assert.equal(values.length, watcher.count);
      assert.deepEqual(values, watcher.values());
      const { dump } = checkCounterRun(values, keyed.expected, {
        guarantee: "exactly_once",
      });
      assert.ok(
        dump.restored.length === 1,
        `the last worker was restored from one checkpoint: restored ${
          JSON.stringify(dump.restored)
        }`,
      );
      console.log(
        `verified after ${
          ((performance.now() - started) / 1000).toFixed(1)
        } s in all`,
      );
    } finally {
      await watcher.close();
      if (!closed) await host.close().catch(() => {});
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});
