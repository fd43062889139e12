import assert from "node:assert/strict";
import type { StateMutation } from "../core/mod.ts";
import { mutationBytes, noMetrics } from "./function_metrics.ts";

const bytes = (n: number) => new Uint8Array(n);

Deno.test("mutationBytes() adds key and value bytes of puts and key bytes of deletes", () => {
  const mutations: StateMutation[] = [
    {
      op: "put",
      store: "a",
      key: { kind: "simple", key: bytes(3) },
      value: bytes(10),
    },
    { op: "delete", store: "a", key: { kind: "simple", key: bytes(4) } },
    {
      op: "put",
      store: "b",
      key: {
        kind: "complex",
        keyGroup: bytes(1),
        key: bytes(2),
        namespace: bytes(3),
        userKey: bytes(4),
      },
      value: bytes(5),
    },
    {
      op: "deletePrefix",
      store: "b",
      prefix: { keyGroup: bytes(1), key: bytes(1), namespace: bytes(1) },
    },
  ];
  assert.equal(mutationBytes(mutations), 13 + 4 + 15 + 3);
  assert.equal(mutationBytes([]), 0);
});

Deno.test("noMetrics accepts every report and keeps nothing", () => {
  noMetrics.functionStarted("f", () => {
    throw new Error("never read");
  });
  noMetrics.batchProcessed("f", {
    recordsIn: 1,
    recordsOut: 1,
    seconds: 1,
    mutations: [],
  });
  noMetrics.functionFailed("f");
  noMetrics.functionRestarted("f");
  noMetrics.checkpointTaken("f", { seconds: 1, bytes: 1 });
  noMetrics.forgetFunction("f");
});
