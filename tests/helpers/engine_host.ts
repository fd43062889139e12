/**
 * {@link startEngine}: the engine in the test's own process, built as
 * main.ts builds it (Deno KV in a data folder, the Deno KV state backend,
 * the Pyodide snapshot), with a log the test can read and wait on.
 * @module
 */
import {
  type Engine as EngineType,
  type LogFields,
  type Logger,
  type LogLevel,
} from "../../runtime/mod.ts";
import {
  DenoKvStateBackend,
  Engine,
  PyodideSnapshot,
} from "../../runtime/mod.ts";

/** Snapshot cache shared by test runs (the isolate tests use it too). */
const SHARED_CACHE = `${
  Deno.env.get("TMPDIR") ?? "/tmp"
}/function-stream-isolate-test`;

/** An engine and its log. */
export interface EngineHost {
  /** The engine (functions are created on it directly). */
  engine: EngineType;
  /** How many times the engine logged `message` for function `name`. */
  events(message: string, name: string): number;
  /** When the engine last logged `message` for `name` (`performance.now()` clock), or null. */
  lastEventMs(message: string, name: string): number | null;
  /** The last `lines` log lines. */
  logTail(lines?: number): string;
  /**
   * Shuts the engine down (stops functions gracefully) and closes Deno KV.
   *
   * @throws {Error} when the functions do not stop within 60 s.
   */
  close(): Promise<void>;
}

/** Starts an engine on `dataDir` and recovers what it holds. */
export async function startEngine(dataDir: string): Promise<EngineHost> {
  const lines: string[] = [];
  const counts = new Map<string, number>();
  const lastAt = new Map<string, number>();
  const logger: Logger = {
    log(level: LogLevel, message: string, fields: LogFields = {}) {
      const extra = Object.entries(fields)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => ` ${k}=${JSON.stringify(v)}`).join("");
      lines.push(
        `${new Date().toISOString()} ${level.toUpperCase()} ${message}${extra}`,
      );
      const key = `${message}\0${fields.function ?? ""}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      lastAt.set(key, performance.now());
    },
  };
  const kv = await Deno.openKv(`${dataDir}/function_stream.kv`);
  const state = new DenoKvStateBackend(kv);
  const snapshot = await PyodideSnapshot.prepare({ cacheDir: SHARED_CACHE });
  const engine = new Engine({ kv, state, snapshot, logger });
  await engine.recover();
  return {
    engine,
    events: (message, name) => counts.get(`${message}\0${name}`) ?? 0,
    lastEventMs: (message, name) => lastAt.get(`${message}\0${name}`) ?? null,
    logTail: (n = 60) => lines.slice(-n).join("\n"),
    async close() {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<"late">((resolve) => {
        timer = setTimeout(() => resolve("late"), 60_000);
      });
      const done = await Promise.race([engine.shutdown(), late]);
      clearTimeout(timer);
      if (done === "late") {
        throw new Error(
          `Cannot shut the engine down as its functions did not stop within 60000 ms\n${
            lines.slice(-60).join("\n")
          }`,
        );
      }
      kv.close();
    },
  };
}
