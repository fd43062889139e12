/**
 * Event time through the real server and broker: watermarks from
 * out-of-order record timestamps, in order with the records, and a
 * two-stage pipeline passing them through a topic as markers.
 */
import assert from "node:assert/strict";
import { consumeAll, createTopic, uniqueTopic } from "./helpers/kafka.ts";
import {
  createFunction,
  produceTimed,
  taskYaml,
  withServer,
} from "./_lifecycle_util.ts";

const STAGE_ONE = `from fs_api import FSProcessorDriver

class StageOne(FSProcessorDriver):
    def process(self, ctx, source_id, data):
        ctx.emit(data, 0)
        ctx.emit(b"rec:" + data, 1)

    def process_watermark(self, ctx, source_id, watermark):
        ctx.emit_watermark(watermark, 0)
        ctx.emit(f"wm:{watermark}".encode(), 1)
`;

const STAGE_TWO = `from fs_api import FSProcessorDriver

class StageTwo(FSProcessorDriver):
    def process(self, ctx, source_id, data):
        ctx.emit(b"rec:" + data, 0)

    def process_watermark(self, ctx, source_id, watermark):
        ctx.emit(f"wm:{watermark}".encode(), 0)
`;

// Out of order by up to 100 ms; with a bound of 100 the watermark is
// max timestamp - 101 and moves at 1000, 1200, 1500 and 2000.
const EVENTS: [string, number][] = [
  ["e1", 1000],
  ["e2", 950],
  ["e3", 1200],
  ["e4", 1100],
  ["e5", 1500],
  ["e6", 1300],
  ["e7", 2000],
];
const EXPECTED = [
  "rec:e1",
  "wm:899",
  "rec:e2",
  "rec:e3",
  "wm:1099",
  "rec:e4",
  "rec:e5",
  "wm:1399",
  "rec:e6",
  "rec:e7",
  "wm:1899",
];

function texts(records: { value: Uint8Array }[]): string[] {
  return records.map((r) => new TextDecoder().decode(r.value));
}

Deno.test({
  name:
    "watermarks follow out-of-order timestamps in order, and pass through a topic to a second function as process_watermark",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const [input, middle, trace, output] = [
      "wm-in",
      "wm-mid",
      "wm-trace",
      "wm-out",
    ].map(uniqueTopic);
    for (const topic of [input, middle, trace, output]) {
      await createTopic(topic);
    }
    await withServer(async ({ client }) => {
      await createFunction(client, {
        className: "StageOne",
        source: STAGE_ONE,
        yaml: taskYaml({
          name: "stage-one",
          inputs: [input],
          outputs: [middle, trace],
          extra: {
            watermark_max_out_of_orderness_ms: 100,
            watermark_interval_ms: 0,
          },
        }),
      });
      await createFunction(client, {
        className: "StageTwo",
        source: STAGE_TWO,
        yaml: taskYaml({
          name: "stage-two",
          inputs: [middle],
          outputs: [output],
          extra: { watermark_source: "markers", watermark_interval_ms: 0 },
        }),
      });
      await produceTimed(
        input,
        EVENTS.map(([value, timestamp]) => ({ value, timestamp })),
      );

      const first = await consumeAll(trace, {
        count: EXPECTED.length,
        timeoutMs: 30_000,
      });
      assert.deepEqual(texts(first), EXPECTED);

      // Plain consumers tell markers by their header; their value is empty.
      const between = await consumeAll(middle, {
        count: EXPECTED.length,
        timeoutMs: 10_000,
      });
      const seen = between.map((r) => {
        const header = r.headers["fs-watermark"];
        if (header === undefined) return `rec:${texts([r])[0]}`;
        assert.equal(r.value.byteLength, 0);
        return `wm:${new TextDecoder().decode(header ?? new Uint8Array())}`;
      });
      assert.deepEqual(seen, EXPECTED);

      const second = await consumeAll(output, {
        count: EXPECTED.length,
        timeoutMs: 30_000,
      });
      assert.deepEqual(texts(second), EXPECTED);
    });
  },
});
