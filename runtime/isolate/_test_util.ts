/**
 * Test helpers of the isolate: a small Map-based StateBackend, the shared
 * test snapshot and a few operator sources.
 * @module
 */
import type {
  ComplexPrefix,
  KeyRange,
  ListPageOptions,
  PythonModule,
  SourcePosition,
  StateBackend,
  StateCommit,
  StateEntry,
  StateKey,
  StateMutation,
} from "../core/mod.ts";
import assert from "node:assert/strict";
import { FsError } from "../core/mod.ts";
import { PyodideSnapshot } from "./snapshot.ts";
import { FunctionIsolate } from "./isolate.ts";
import type { IsolateOptions } from "./options.ts";

const hex = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
const unhex = (text: string) =>
  new Uint8Array(text.match(/../g)?.map((h) => parseInt(h, 16)) ?? []);

/** Where a key lives: one sorted space per store (simple) or store + prefix (complex). */
function spaceOf(store: string, key: StateKey | ComplexPrefix): string {
  if ("kind" in key && key.kind === "simple") return `s|${store}`;
  const p = key as ComplexPrefix;
  return `c|${store}|${hex(p.keyGroup)}|${hex(p.key)}|${hex(p.namespace)}`;
}

/** A StateBackend over Maps, counting the calls it gets. */
export class FakeStateBackend implements StateBackend {
  /** fn -> space -> hex(user key) -> value. */
  readonly data = new Map<string, Map<string, Map<string, Uint8Array>>>();
  /** Number of calls per method. */
  readonly calls = { get: 0, listSimple: 0, listComplex: 0, commit: 0 };
  /** When set, the next read rejects with it. */
  failNext: Error | null = null;

  #space(fn: string, space: string): Map<string, Uint8Array> {
    let spaces = this.data.get(fn);
    if (!spaces) this.data.set(fn, spaces = new Map());
    let entries = spaces.get(space);
    if (!entries) spaces.set(space, entries = new Map());
    return entries;
  }

  #failure(): void {
    const error = this.failNext;
    this.failNext = null;
    if (error) throw error;
  }

  get(fn: string, store: string, key: StateKey): Promise<Uint8Array | null> {
    this.calls.get++;
    this.#failure();
    const k = key.kind === "simple" ? key.key : key.userKey;
    return Promise.resolve(
      this.#space(fn, spaceOf(store, key)).get(hex(k)) ?? null,
    );
  }

  #list(
    entries: Map<string, Uint8Array>,
    range: KeyRange,
    options: ListPageOptions = {},
  ): StateEntry[] {
    const start = range.start ? hex(range.start) : "";
    const end = range.end ? hex(range.end) : undefined;
    const after = options.after ? hex(options.after) : undefined;
    return [...entries.keys()].sort()
      .filter((k) =>
        k >= start && (end === undefined || k < end) &&
        (after === undefined || k > after)
      )
      .slice(0, options.limit ?? 1000)
      .map((k) => ({ key: unhex(k), value: entries.get(k)! }));
  }

  listSimple(
    fn: string,
    store: string,
    range: KeyRange,
    options?: ListPageOptions,
  ): Promise<StateEntry[]> {
    this.calls.listSimple++;
    this.#failure();
    return Promise.resolve(
      this.#list(this.#space(fn, `s|${store}`), range, options),
    );
  }

  listComplex(
    fn: string,
    store: string,
    prefix: ComplexPrefix,
    range: KeyRange,
    options?: ListPageOptions,
  ): Promise<StateEntry[]> {
    this.calls.listComplex++;
    this.#failure();
    return Promise.resolve(
      this.#list(this.#space(fn, spaceOf(store, prefix)), range, options),
    );
  }

  /** Applies mutations in order. */
  apply(fn: string, mutations: StateMutation[]): void {
    for (const m of mutations) {
      if (m.op === "deletePrefix") {
        this.#space(fn, spaceOf(m.store, m.prefix)).clear();
        continue;
      }
      const entries = this.#space(fn, spaceOf(m.store, m.key));
      const k = hex(m.key.kind === "simple" ? m.key.key : m.key.userKey);
      if (m.op === "put") entries.set(k, m.value.slice());
      else entries.delete(k);
    }
  }

  commit(fn: string, commit: StateCommit): Promise<void> {
    this.calls.commit++;
    this.apply(fn, commit.mutations);
    return Promise.resolve();
  }

  positions(_fn: string): Promise<SourcePosition[]> {
    return Promise.resolve([]);
  }

  dropFunction(fn: string): Promise<void> {
    this.data.delete(fn);
    return Promise.resolve();
  }
}

/** The cache directory of test snapshots (shared across runs; keyed by content). */
export const TEST_CACHE_DIR = `${
  Deno.env.get("TMPDIR") ?? "/tmp"
}/function-stream-isolate-test`;

let shared: Promise<PyodideSnapshot> | undefined;

/** The snapshot every isolate test starts from. */
export function testSnapshot(): Promise<PyodideSnapshot> {
  shared ??= PyodideSnapshot.prepare({ cacheDir: TEST_CACHE_DIR });
  return shared;
}

const encoder = new TextEncoder();

/** A module from source text. */
export function pyModule(name: string, source: string): PythonModule {
  return { name, source: encoder.encode(source) };
}

/** The seed's MetricProcessor (SPEC section 1), verbatim. */
export const METRIC_PROCESSOR = `from fs_api import FSProcessorDriver, Context
import json

class MetricProcessor(FSProcessorDriver):
    def init(self, ctx: Context, config: dict):
        self.metric_name = config.get("metric_name", "default_event")

    def process(self, ctx: Context, source_id: int, data: bytes):
        event = json.loads(data.decode())
        store = ctx.getOrCreateKVStore("stats_db")
        key = f"count:{self.metric_name}".encode()
        current_val = int(store.get_state(key) or 0)
        new_val = current_val + event.get("value", 1)
        store.put_state(key, str(new_val).encode())
        result = {"metric": self.metric_name, "total": new_val}
        ctx.emit(json.dumps(result).encode(), 0)
`;

/** Starts an isolate on the test snapshot with defaults for what a test leaves out. */
export async function startIsolate(
  options: Partial<IsolateOptions> & Pick<IsolateOptions, "modules">,
): Promise<FunctionIsolate> {
  return await FunctionIsolate.start({
    functionName: "test-fn",
    className: "Op",
    initConfig: {},
    outputCount: 1,
    state: new FakeStateBackend(),
    snapshot: await testSnapshot(),
    ...options,
  });
}

/** Input records with JSON values. */
export function jsonRecords(values: unknown[], sourceId = 0) {
  return values.map((value, i) => ({
    sourceId,
    topic: "in",
    partition: 0,
    offset: BigInt(i),
    key: null,
    value: encoder.encode(JSON.stringify(value)),
    headers: [],
    timestamp: 0,
  }));
}

/** Decodes output values as text. */
export function texts(outputs: { value: Uint8Array }[]): string[] {
  const decoder = new TextDecoder();
  return outputs.map((o) => decoder.decode(o.value));
}

/**
 * Process ids of the isolate processes (process isolation) whose parent is
 * `parentPid`, read from /proc (Linux).
 */
export function isolateProcesses(parentPid = Deno.pid): number[] {
  const pids: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(ppid) !== parentPid || state === "Z") continue;
      const cmdline = Deno.readTextFileSync(`/proc/${entry.name}/cmdline`);
      if (/process_host_main\.ts|\0isolate-host\0/.test(cmdline)) {
        pids.push(Number(entry.name));
      }
    } catch {
      // The process ended meanwhile.
    }
  }
  return pids;
}

/** The FsError `promise` rejects with; fails the test when it resolves or rejects otherwise. */
export async function rejection(promise: Promise<unknown>): Promise<FsError> {
  const error = await promise.then(
    () => assert.fail("expected a rejection"),
    (e) => e,
  );
  assert.ok(error instanceof FsError, `not an FsError: ${error}`);
  return error;
}
