/**
 * A `process` call that never returns is terminated at its deadline and
 * goes through the restart policy (restarted, then FAILED), while a healthy
 * function beside it keeps processing.
 */
import assert from "node:assert/strict";
import { consumeAll, createTopic, uniqueTopic } from "./helpers/kafka.ts";
import {
  createFunction,
  functionRow,
  produceTimed,
  taskYaml,
  waitFor,
  withServer,
} from "./_lifecycle_util.ts";

const SPINNER = `from fs_api import FSProcessorDriver

class Spinner(FSProcessorDriver):
    def process(self, ctx, source_id, data):
        while True:
            pass
`;

const HEALTHY = `from fs_api import FSProcessorDriver

class Healthy(FSProcessorDriver):
    def process(self, ctx, source_id, data):
        ctx.emit(b"ok:" + data, 0)
`;

const TIMEOUT_SECONDS = 3;

Deno.test({
  name:
    "an infinite loop in process() is terminated after process_timeout_seconds, restarted, then FAILED, while a healthy function keeps processing",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const [spinIn, okIn, okOut] = ["spin-in", "ok-in", "ok-out"].map(
      uniqueTopic,
    );
    for (const topic of [spinIn, okIn, okOut]) await createTopic(topic);
    await withServer(async ({ client, server }) => {
      await createFunction(client, {
        className: "Spinner",
        source: SPINNER,
        yaml: taskYaml({
          name: "spinner",
          inputs: [spinIn],
          outputs: [],
          extra: {
            process_timeout_seconds: TIMEOUT_SECONDS,
            max_restarts: 1,
            restart_backoff_seconds: 0.1,
          },
        }),
      });
      await createFunction(client, {
        className: "Healthy",
        source: HEALTHY,
        yaml: taskYaml({ name: "healthy", inputs: [okIn], outputs: [okOut] }),
      });
      await produceTimed(okIn, [{ value: "warm-up" }]);
      await consumeAll(okOut, { count: 1, timeoutMs: 20_000 });

      const loopStarted = Date.now();
      await produceTimed(spinIn, [{ value: "spin" }]);
      await new Promise((r) => setTimeout(r, 500));
      const values = Array.from({ length: 50 }, (_, i) => `r${i}`);
      await produceTimed(okIn, values.map((value) => ({ value })));
      const records = await consumeAll(okOut, { count: 51, timeoutMs: 10_000 });
      const doneAt = Date.now();
      assert.deepEqual(
        records.slice(1).map((r) => new TextDecoder().decode(r.value)),
        values.map((v) => `ok:${v}`),
      );
      // All of it happened while the spinner was still stuck in its loop.
      assert.doesNotMatch(server.output(), /function error[^\n]*"spinner"/);
      assert.ok(doneAt - loopStarted < TIMEOUT_SECONDS * 1000);

      const row = await waitFor("spinner FAILED", async () => {
        const row = await functionRow(client, "spinner");
        return row.status === "FAILED" ? row : undefined;
      });
      // The restart read the same record again and was stopped again.
      assert.ok(Date.now() - loopStarted >= 2 * TIMEOUT_SECONDS * 1000);
      assert.match(
        row.last_error ?? "",
        /process\(\) of function 'spinner' within 3000 ms: its isolate was terminated; gave up after 1 restart within/,
      );
      const errors = server.output().match(/function error[^\n]*"spinner"/g);
      assert.equal(errors?.length, 2);
      assert.match(server.output(), /function restarting[^\n]*"spinner"/);
      assert.equal((await functionRow(client, "healthy")).status, "RUNNING");
    });
  },
});
