/**
 * The isolate host process (process isolation): started by the server, one
 * per function, it spawns exactly one sandboxed Worker (worker_main.ts, with
 * the same permissions and lockdown as in worker isolation) and relays
 * frames (_frames.ts) between its stdin/stdout and that worker. Its own
 * stdout carries frames only.
 *
 * Run as `deno run --allow-read=... process_host_main.ts` or, in the
 * compiled binary, as `function-stream isolate-host`.
 * @module
 */
import {
  encodeFrame,
  FrameReader,
  FrameTag,
  MEMORY_EXIT_CODE,
} from "./_frames.ts";
import type { ProcessHostInit } from "./_frames.ts";
import type { HostMessage } from "./protocol.ts";
import { readCached } from "./_snapshot_file.ts";
import { spawnWorker } from "./_worker.ts";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/**
 * How often the resident memory is checked, in milliseconds: often once it
 * is past half the limit, less often below: an idle process checking
 * every 20 ms used about 1% of a core, every 100 ms 0.3-0.5%.
 */
const WATCH_FAST_MS = 20;
const WATCH_SLOW_MS = 100;

/**
 * How long after the start the relay collects its garbage: the collection
 * blocks the relay, so it waits until the function's first calls have
 * passed.
 */
const RELAY_COLLECT_DELAY_MS = 2000;

/** Bytes read from stdin at a time. */
const READ_BYTES = 64 * 1024;

/**
 * Writes a frame to stdout at once. Synchronous writes skip the stream
 * machinery (measured: a pipe round trip of 65-90 instead of 135-170 us);
 * when the pipe is full they wait for the server, which reads all the
 * time. A failed write means the server went away.
 */
function send(tag: FrameTag, value: unknown): void {
  try {
    for (const part of encodeFrame(tag, value)) {
      for (let at = 0; at < part.length;) {
        at += Deno.stdout.writeSync(part.subarray(at));
      }
    }
  } catch {
    Deno.exit(0);
  }
}

/** Drops every permission this process still holds (compiled binaries hold all). */
function dropPermissions(names: Deno.PermissionName[]): void {
  for (const name of names) {
    try {
      Deno.permissions.revokeSync({ name } as Deno.PermissionDescriptor);
    } catch {
      // Not a permission of this Deno version.
    }
  }
}

/** Ends the process once its resident memory passes `maxBytes`. */
function watchMemory(maxBytes: number): void {
  const check = () => {
    const rss = Deno.memoryUsage().rss;
    if (rss <= maxBytes) {
      setTimeout(check, rss > maxBytes / 2 ? WATCH_FAST_MS : WATCH_SLOW_MS);
      return;
    }
    const mib = (n: number) => Math.round(n / 1048576);
    // The server reads this line and the exit code as "memory limit exceeded".
    console.error(
      `Function Stream isolate host: memory limit exceeded: resident memory ${
        mib(rss)
      } MiB is over the process limit of ${mib(maxBytes)} MiB`,
    );
    Deno.exit(MEMORY_EXIT_CODE);
  };
  check();
}

/** The snapshot payload from its cache file (digest checked). */
async function readSnapshot(init: ProcessHostInit): Promise<Uint8Array> {
  const snapshot = await readCached(init.snapshotPath);
  if (snapshot === null || snapshot.length !== init.snapshotBytes) {
    throw new Error(
      `Cannot start the isolate as its snapshot file ${init.snapshotPath} is missing or changed: current size is ${
        snapshot?.length ?? "none"
      }, expected ${init.snapshotBytes} bytes`,
    );
  }
  return snapshot;
}

/** pyodide.asm.wasm compiled here (undefined: the worker compiles it). */
async function compileWasm(
  indexPath: string,
): Promise<WebAssembly.Module | undefined> {
  try {
    return await WebAssembly.compile(
      await Deno.readFile(`${indexPath}pyodide.asm.wasm`),
    );
  } catch {
    return undefined;
  }
}

/**
 * One full garbage collection of this (the relay's) heap. Starting leaves
 * the 9.6 MB read of pyodide.asm.wasm behind as garbage (the compiled
 * module keeps its own copy), and a relay allocates too little for V8 to
 * collect it any time soon. `gc` is exposed by a process-wide flag that
 * reaches new node:vm contexts (compiled binaries ignore `--v8-flags`).
 */
function collectGarbage(): void {
  try {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as (options: object) => void;
    gc({ type: "major", execution: "sync" });
  } catch {
    // Only memory is at stake.
  }
}

function fail(error: unknown): never {
  console.error(
    `Function Stream isolate host failed: ${
      error instanceof Error ? error.stack ?? error.message : String(error)
    }`,
  );
  Deno.exit(1);
}

/**
 * Spawns the worker and returns what posts it the server's messages, in
 * order. The snapshot is read and the wasm compiled while the worker loads
 * its modules; `start` waits for both.
 */
function startWorker(init: ProcessHostInit): (message: HostMessage) => void {
  dropPermissions(["net", "env", "run", "write", "ffi", "sys"]);
  if (init.maxResidentBytes > 0) watchMemory(init.maxResidentBytes);
  const worker = spawnWorker(init.indexPath, init.name);
  const assets = Promise.all([readSnapshot(init), compileWasm(init.indexPath)]);
  // A failed read ends the process (its stderr tells the server why).
  assets.catch(fail);
  let started = false;
  worker.onmessage = (event) => {
    send(FrameTag.message, event.data);
    if (started || !["done", "failed"].includes(event.data?.type)) return;
    // The worker has loaded its modules and Pyodide (it reads its files
    // under its own permissions): this process needs no reads now.
    started = true;
    dropPermissions(["read"]);
    // Once the first calls are on their way (the collection blocks the
    // relay); the worker's heap is not touched.
    setTimeout(collectGarbage, RELAY_COLLECT_DELAY_MS);
  };
  worker.addEventListener("error", (event) => {
    // Reported to the server, which ends this process; never fatal here.
    event.preventDefault();
    send(FrameTag.error, String(event.message));
  });
  worker.addEventListener("messageerror", () => {
    send(FrameTag.messageError, null);
  });
  let snapshotSent = false;
  const post = async (message: HostMessage) => {
    const loads = message.type === "start" || message.type === "preload";
    if (!loads || snapshotSent) {
      // A `start` after a `preload` (a warm process) finds Pyodide loaded.
      worker.postMessage(message);
      return;
    }
    snapshotSent = true;
    // The server sends neither the snapshot nor its compiled module
    // (neither crosses a pipe): both are made here.
    const [snapshot, wasmModule] = await assets;
    const load = { ...message.load, wasmModule };
    worker.postMessage({ ...message, load, snapshot }, [
      snapshot.buffer as ArrayBuffer,
    ]);
  };
  let queue: Promise<void> = Promise.resolve();
  return (message) => {
    queue = queue.then(() => post(message)).catch(fail);
  };
}

/**
 * Runs the relay until stdin ends (the server closed the pipe or died):
 * the first frame is the {@link ProcessHostInit}, every later one a message
 * for the worker.
 */
export async function runIsolateHost(): Promise<void> {
  const reader = new FrameReader();
  let post: ((message: HostMessage) => void) | undefined;
  const buffer = new Uint8Array(READ_BYTES);
  for (;;) {
    const n = await Deno.stdin.read(buffer);
    if (n === null) break;
    // A copy: the reader keeps the chunks of incomplete frames.
    for (const frame of reader.push(buffer.slice(0, n))) {
      if (frame.error !== undefined) throw frame.error;
      if (frame.tag === FrameTag.init && post === undefined) {
        post = startWorker(frame.value as ProcessHostInit);
      } else if (frame.tag === FrameTag.message && post !== undefined) {
        post(frame.value as HostMessage);
      } else {
        throw new Error(
          `Cannot handle a frame with tag ${frame.tag} ${
            post ? "after" : "before"
          } the init frame`,
        );
      }
    }
  }
  Deno.exit(0);
}

if (import.meta.main) runIsolateHost().catch(fail);
