/**
 * Micro benchmark of the Deno KV state backend against raw Deno KV in the
 * same run: commits of 1k, 10k and 100k changed keys (raw baseline: single
 * sets in atomic batches of 1000) and point reads.
 *
 *   deno run -A scripts/bench/state_bench.ts [--rounds=3]
 * @module
 */
import { DenoKvStateBackend } from "../../runtime/state/mod.ts";
import type { StateMutation } from "../../runtime/core/mod.ts";

const rounds = Number(
  Deno.args.find((a) => a.startsWith("--rounds="))?.split("=")[1] ?? 3,
);
const encoder = new TextEncoder();
const keyOf = (i: number) =>
  encoder.encode(`key-${String(i).padStart(7, "0")}`);
const valueOf = (i: number, round: number) =>
  encoder.encode(`value-${round}-${i}-`.padEnd(100, "x"));

async function rawCommit(kv: Deno.Kv, n: number, round: number): Promise<void> {
  for (let at = 0; at < n; at += 1000) {
    const op = kv.atomic();
    for (let i = at; i < Math.min(n, at + 1000); i++) {
      op.set(["raw", "db", keyOf(i)], valueOf(i, round));
    }
    const result = await op.commit();
    if (!result.ok) throw new Error("raw commit failed");
  }
}

async function backendCommit(
  state: DenoKvStateBackend,
  n: number,
  round: number,
): Promise<void> {
  const mutations: StateMutation[] = [];
  for (let i = 0; i < n; i++) {
    mutations.push({
      op: "put",
      store: "db",
      key: { kind: "simple", key: keyOf(i) },
      value: valueOf(i, round),
    });
  }
  await state.commit("bench", {
    mutations,
    positions: [{ topic: "in", partition: 0, nextOffset: BigInt(n * round) }],
  });
}

async function time(work: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await work();
  return (performance.now() - start) / 1000;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const dir = await Deno.makeTempDir({ prefix: "fs_state_bench_" });
const kv = await Deno.openKv(`${dir}/bench.db`);
const state = new DenoKvStateBackend(kv);
const rows: [string, number, number][] = [];
try {
  for (const n of [1_000, 10_000, 100_000]) {
    const raw: number[] = [];
    const ours: number[] = [];
    for (let round = 0; round < rounds; round++) {
      // Alternate so neither side always runs on a warmer file.
      raw.push(n / await time(() => rawCommit(kv, n, round)));
      ours.push(n / await time(() => backendCommit(state, n, round)));
    }
    rows.push([
      `commit ${n.toLocaleString("en")} keys (keys/s)`,
      median(raw),
      median(ours),
    ]);
  }
  const reads = 10_000;
  const picks = Array.from(
    { length: reads },
    () => Math.floor(Math.random() * 100_000),
  );
  const rawGets = reads / await time(async () => {
    for (const i of picks) await kv.get(["raw", "db", keyOf(i)]);
  });
  const ourGets = reads / await time(async () => {
    for (const i of picks) {
      await state.get("bench", "db", { kind: "simple", key: keyOf(i) });
    }
  });
  rows.push([`get, sequential (ops/s)`, rawGets, ourGets]);
} finally {
  kv.close();
  await Deno.remove(dir, { recursive: true });
}

const fmt = (x: number) => Math.round(x).toLocaleString("en").padStart(12);
console.log(
  `Deno ${Deno.version.deno}, median of ${rounds} rounds, 100-byte values`,
);
console.log(
  `${"case".padEnd(34)} ${"raw Deno KV".padStart(12)} ${
    "backend".padStart(12)
  }  ratio`,
);
for (const [name, raw, ours] of rows) {
  console.log(
    `${name.padEnd(34)} ${fmt(raw)} ${fmt(ours)}  ${(ours / raw).toFixed(2)}`,
  );
}
