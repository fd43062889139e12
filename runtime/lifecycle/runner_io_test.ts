import assert from "node:assert/strict";
import type { OutputRecord } from "../core/mod.ts";
import type { SinkWriter } from "../connectors/mod.ts";
import { closeAll, sendByChannel } from "./runner_io.ts";

function sink(log: string[], name: string): SinkWriter {
  return {
    send(records: OutputRecord[]) {
      log.push(`${name}:${records.map((r) => r.value[0]).join(",")}`);
      return Promise.resolve();
    },
    close() {
      log.push(`${name}:closed`);
      return Promise.reject(new Error("already gone"));
    },
  };
}

Deno.test("sendByChannel() sends each channel's records in emit order, once", async () => {
  const log: string[] = [];
  const out = (channel: number, n: number): OutputRecord => ({
    channel,
    value: new Uint8Array([n]),
  });
  await sendByChannel([sink(log, "a"), sink(log, "b")], [
    out(1, 1),
    out(0, 2),
    out(1, 3),
  ]);
  assert.deepEqual(log.sort(), ["a:2", "b:1,3"]);
  await sendByChannel([sink(log, "a")], []);
  assert.equal(log.length, 2);
});

Deno.test("closeAll() closes every part even when some fail", async () => {
  const log: string[] = [];
  await closeAll([sink(log, "a"), sink(log, "b")]);
  assert.deepEqual(log, ["a:closed", "b:closed"]);
});
