/**
 * Process isolation, server side: a {@link ProcessWorker} looks like a
 * Worker to FunctionIsolate but runs the worker in a child process
 * (process_host_main.ts) whose V8 heap and resident memory are capped, so
 * an operator that exhausts JavaScript memory ends only its own process.
 * @module
 */
import {
  encodeFrame,
  FrameReader,
  FrameTag,
  MEMORY_EXIT_CODE,
  type ProcessHostInit,
} from "./_frames.ts";
import type { IsolateOptions } from "./options.ts";
import type { IsolateWorker } from "./_worker.ts";
import { PYODIDE_READ_FILES, spawnWorker } from "./_worker.ts";

/**
 * Resident memory a process may use beyond its two capped heaps (Deno,
 * V8 and Pyodide's own): the process ends itself past 2 x limit + this.
 */
export const PROCESS_BASE_BYTES = 256 * 1024 * 1024;

/** Stderr lines of one process passed to the log; later ones are counted. */
const MAX_STDERR_LINES = 200;
/** Stderr lines kept to explain an exit. */
const TAIL_LINES = 12;
/** Longest stderr line passed on. */
const MAX_LINE_CHARS = 2000;

/** What a process that ran out of memory prints (V8, Rust, the relay). */
const OUT_OF_MEMORY =
  /Fatal JavaScript out of memory|Reached heap limit|JavaScript heap out of memory|Fatal process out of memory|memory allocation of \d+ bytes failed|memory limit exceeded/;

const RELAY = new URL("./process_host_main.ts", import.meta.url);
/**
 * The folder of the worker's own modules: the relay needs read access to
 * load them (its main module graph needs none), and naming the folder
 * keeps that true when the worker imports another file of it.
 */
const WORKER_MODULES = new URL("./", import.meta.url);
const CONFIG = new URL("../../deno.json", import.meta.url);

/**
 * The child's whole environment (DENO_DIR aside). A fixed mmap threshold
 * keeps glibc from serving the ~31 MB snapshot read from a heap it never
 * gives back: measured 111 instead of 177 MiB private memory per process.
 */
const CHILD_ENV = { NO_COLOR: "1", MALLOC_MMAP_THRESHOLD_: "131072" };

/** Options for {@link ProcessWorker.spawn}. */
export interface ProcessWorkerOptions {
  /** The worker's name (log tags). */
  name: string;
  /** The pyodide package directory (ends with "/"). */
  indexPath: string;
  /** The snapshot cache file and its payload size. */
  snapshot: { path: string; bytes: number };
  /**
   * The function's memory limit in bytes: the process's V8 heap gets the
   * same cap (when the runtime allows it) and the process ends itself past
   * 2 x limit + {@link PROCESS_BASE_BYTES} resident. 0: no caps.
   */
  maxMemoryBytes: number;
  /** Receives each line the process writes to stderr. */
  onStderr?: (line: string) => void;
}

/** How the child is started: the server's own executable either way. */
export interface HostCommand {
  /** The executable. */
  command: string;
  /** Its arguments. */
  args: string[];
  /** Its whole environment. */
  env: Record<string, string>;
}

function pathOf(url: URL): string {
  return decodeURIComponent(url.pathname);
}

/** Where the server's Deno keeps its caches, for the child to reuse. */
function denoDir(): string | undefined {
  try {
    const explicit = Deno.env.get("DENO_DIR");
    if (explicit) return explicit;
    const cache = Deno.env.get("XDG_CACHE_HOME") ??
      (Deno.env.get("HOME") ? `${Deno.env.get("HOME")}/.cache` : undefined);
    return cache ? `${cache}/deno` : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The command that starts an isolate process. From source: `deno run` with
 * read access to the Pyodide files, the snapshot and the worker script only
 * and `--max-old-space-size` set to the limit. A compiled binary runs
 * itself with `isolate-host` (it ignores V8 flags given at run time, so
 * only the resident memory watch caps it) and drops its permissions.
 * The environment is empty but for what Deno itself needs.
 */
export function hostCommand(options: ProcessWorkerOptions): HostCommand {
  if (Deno.build.standalone) {
    return {
      command: Deno.execPath(),
      args: ["isolate-host", options.name],
      env: CHILD_ENV,
    };
  }
  const reads = [
    ...PYODIDE_READ_FILES.map((file) => options.indexPath + file),
    options.snapshot.path,
    pathOf(WORKER_MODULES),
  ];
  const mib = Math.ceil(options.maxMemoryBytes / 1048576);
  const dir = denoDir();
  return {
    command: Deno.execPath(),
    args: [
      "run",
      "--no-prompt",
      "--cached-only",
      `--config=${pathOf(CONFIG)}`,
      `--allow-read=${reads.join(",")}`,
      ...(mib > 0 ? [`--v8-flags=--max-old-space-size=${mib}`] : []),
      pathOf(RELAY),
      // Unused by the relay: names the function in `ps`.
      options.name,
    ],
    env: { ...CHILD_ENV, ...(dir ? { DENO_DIR: dir } : {}) },
  };
}

/**
 * A Worker in a child process of its own, behind the Worker interface
 * FunctionIsolate uses. Messages cross the pipes as frames (_frames.ts).
 * When the process ends on its own the isolate gets a `fatal` message:
 * with `memory: true` when it ran out of memory, so the call in flight
 * fails with MemoryLimitError; otherwise as a crash.
 */
export class ProcessWorker implements IsolateWorker {
  /** Receives the worker's messages. */
  onmessage: ((event: MessageEvent) => void) | null = null;
  /** The child's process id. */
  readonly pid: number;
  /** Settles once the process has ended and its pipes are drained. */
  readonly exited: Promise<void>;
  readonly #events = new EventTarget();
  readonly #child: Deno.ChildProcess;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  readonly #options: ProcessWorkerOptions;
  readonly #tail: string[] = [];
  #terminated = false;
  #ended = false;

  private constructor(child: Deno.ChildProcess, options: ProcessWorkerOptions) {
    this.#child = child;
    this.#options = options;
    this.pid = child.pid;
    this.#stdin = child.stdin.getWriter();
    this.exited = Promise.all([
      this.#readFrames(),
      this.#readStderr(),
      child.status,
    ]).then(([, , status]) => this.#onExit(status));
  }

  /**
   * Starts the process and sends it the init frame.
   *
   * @throws {Error} when the executable cannot be started.
   */
  static spawn(options: ProcessWorkerOptions): ProcessWorker {
    const command = hostCommand(options);
    const child = new Deno.Command(command.command, {
      args: command.args,
      env: command.env,
      clearEnv: true,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const worker = new ProcessWorker(child, options);
    const maxMemory = options.maxMemoryBytes;
    const init: ProcessHostInit = {
      name: options.name,
      indexPath: options.indexPath,
      snapshotPath: options.snapshot.path,
      snapshotBytes: options.snapshot.bytes,
      maxResidentBytes: maxMemory > 0 ? 2 * maxMemory + PROCESS_BASE_BYTES : 0,
    };
    worker.#write(FrameTag.init, init);
    return worker;
  }

  /** Sends a message to the worker (copied; `transfer` is not needed). */
  postMessage(message: unknown, _transfer: Transferable[] = []): void {
    if (this.#terminated || this.#ended) return;
    const value = message as { type?: string; load?: object };
    if (value?.type === "start") {
      // The process reads the snapshot from its file and compiles the wasm
      // itself: neither the shared bytes nor a compiled module cross a pipe.
      this.#write(FrameTag.message, {
        ...value,
        snapshot: undefined,
        load: { ...value.load, wasmModule: undefined },
      });
      return;
    }
    this.#write(FrameTag.message, message);
  }

  /** Listens for `error` and `messageerror`. */
  addEventListener(
    type: "error" | "messageerror",
    listener: ((event: ErrorEvent) => void) | ((event: MessageEvent) => void),
  ): void {
    this.#events.addEventListener(type, listener as EventListener);
  }

  /** Kills the process (SIGKILL); nothing is reported after this. */
  terminate(): void {
    if (this.#terminated) return;
    this.#terminated = true;
    this.#stdin.close().catch(() => {});
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // It has exited already.
    }
  }

  #write(tag: FrameTag, value: unknown): void {
    // A process that died fails the writes; its exit is reported instead.
    for (const part of encodeFrame(tag, value)) {
      this.#stdin.write(part).catch(() => {});
    }
  }

  #deliver(data: unknown): void {
    if (this.#terminated) return;
    this.onmessage?.(new MessageEvent("message", { data }));
  }

  #fail(message: string): void {
    if (this.#terminated) return;
    this.#events.dispatchEvent(
      new ErrorEvent("error", { message, cancelable: true }),
    );
    this.terminate();
  }

  async #readFrames(): Promise<void> {
    const reader = new FrameReader();
    try {
      for await (const chunk of this.#child.stdout) {
        if (this.#terminated) continue;
        for (const frame of reader.push(chunk)) {
          if (frame.error !== undefined) {
            this.#events.dispatchEvent(new MessageEvent("messageerror"));
          } else if (frame.tag === FrameTag.message) {
            this.#deliver(frame.value);
          } else if (frame.tag === FrameTag.error) {
            this.#fail(String(frame.value));
          } else if (frame.tag === FrameTag.messageError) {
            this.#events.dispatchEvent(new MessageEvent("messageerror"));
          } else {
            throw new TypeError(`unknown frame tag ${frame.tag}`);
          }
        }
      }
    } catch (error) {
      this.#fail(
        `The isolate process broke the protocol: ${
          error instanceof Error ? error.message : String(error)
        }`,
      );
    }
  }

  async #readStderr(): Promise<void> {
    let passed = 0;
    let dropped = 0;
    let rest = "";
    const onLine = (line: string) => {
      const text = line.length > MAX_LINE_CHARS
        ? `${line.slice(0, MAX_LINE_CHARS)}... (cut)`
        : line;
      if (text.trim() === "") return;
      this.#tail.push(text);
      if (this.#tail.length > TAIL_LINES) this.#tail.shift();
      if (passed < MAX_STDERR_LINES) {
        passed++;
        this.#options.onStderr?.(text);
      } else dropped++;
    };
    try {
      const stream = this.#child.stderr.pipeThrough(new TextDecoderStream());
      for await (const chunk of stream) {
        const lines = (rest + chunk).split("\n");
        rest = lines.pop() ?? "";
        if (rest.length > MAX_LINE_CHARS) {
          lines.push(rest);
          rest = "";
        }
        lines.forEach(onLine);
      }
    } catch {
      // The pipe broke with the process; what was read is kept.
    }
    if (rest !== "") onLine(rest);
    if (dropped > 0) {
      this.#options.onStderr?.(`(${dropped} more stderr lines dropped)`);
    }
  }

  #onExit(status: Deno.CommandStatus): void {
    this.#ended = true;
    if (this.#terminated) return;
    const how = status.signal !== null
      ? `signal ${status.signal}`
      : `exit code ${status.code}`;
    const oom = this.#tail.find((line) => OUT_OF_MEMORY.test(line));
    if (status.code === MEMORY_EXIT_CODE || oom !== undefined) {
      const detail = (oom ?? "").replace(/^[#\s]+/, "").replace(
        /^Function Stream isolate host: /,
        "",
      );
      this.#deliver({
        type: "fatal",
        memory: true,
        message: `The isolate process ran out of memory (${how})${
          detail ? `: ${detail}` : ""
        }`,
      });
      return;
    }
    const last = this.#tail.slice(-4).join(" | ");
    this.#deliver({
      type: "fatal",
      message: `The isolate process ended unexpectedly (${how})${
        last ? `: ${last}` : ""
      }`,
    });
  }
}

/**
 * The worker of an isolate: a Worker in this process (worker isolation) or
 * a {@link ProcessWorker} (process isolation); its stderr lines go to
 * `onLog` tagged with the function.
 */
export function spawnIsolateWorker(options: IsolateOptions): IsolateWorker {
  const name = `fs-isolate:${options.functionName}`;
  const { snapshot } = options;
  if (options.isolation !== "process") {
    return spawnWorker(snapshot.load.indexPath, name);
  }
  const tag = `[${options.functionName}] isolate process:`;
  return ProcessWorker.spawn({
    name,
    indexPath: snapshot.load.indexPath,
    snapshot: { path: snapshot.path, bytes: snapshot.bytes.length },
    maxMemoryBytes: options.maxMemoryBytes ?? 0,
    onStderr: (line) => options.onLog?.(`${tag} ${line}`, { stream: "stderr" }),
  });
}
