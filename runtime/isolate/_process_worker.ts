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
import { FsError, messageOf } from "../core/mod.ts";
import type { IsolateOptions } from "./options.ts";
import type { IsolateWorker } from "./_worker.ts";
import { spawnWorker } from "./_worker.ts";
import { hostCommand } from "./_process_command.ts";
import type { WarmKind } from "./_warm_workers.ts";

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
  /**
   * Receives each line the process writes to stderr (a warm process gets
   * its function's listener when it is taken).
   */
  onStderr: ((line: string) => void) | undefined;
  /** The child's process id. */
  readonly pid: number;
  /** Settles once the process has ended and its pipes are drained. */
  readonly exited: Promise<void>;
  readonly #events = new EventTarget();
  readonly #child: Deno.ChildProcess;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  readonly #tail: string[] = [];
  #terminated = false;
  #ended = false;

  private constructor(child: Deno.ChildProcess, options: ProcessWorkerOptions) {
    this.#child = child;
    this.onStderr = options.onStderr;
    this.pid = child.pid;
    this.#stdin = child.stdin.getWriter();
    this.exited = Promise.all([
      this.#readFrames(),
      this.#readStderr(),
      child.status,
    ]).then(([, , status]) => this.#onExit(status)).catch((error) => {
      // Never an unhandled rejection in the server.
      options.onStderr?.(`cannot report the process's end: ${error}`);
    });
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
    if (value?.type === "start" || value?.type === "preload") {
      // The relay reads the snapshot from its file and compiles the wasm
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

  /** Stops a listener added with addEventListener. */
  removeEventListener(
    type: "error" | "messageerror",
    listener: ((event: ErrorEvent) => void) | ((event: MessageEvent) => void),
  ): void {
    this.#events.removeEventListener(type, listener as EventListener);
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
        this.onStderr?.(text);
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
      this.onStderr?.(`(${dropped} more stderr lines dropped)`);
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
    // The relay's own report when it failed, else the last lines.
    const last =
      this.#tail.find((line) => line.includes("isolate host failed")) ??
        this.#tail.slice(-4).join(" | ");
    this.#deliver({
      type: "fatal",
      message: `The isolate process ended unexpectedly (${how})${
        last ? `: ${last}` : ""
      }`,
    });
  }
}

/** What a warm worker must be to serve an isolate with these options. */
export function warmKindOf(options: IsolateOptions): WarmKind {
  return {
    isolation: options.isolation ?? "worker",
    maxMemoryBytes: options.maxMemoryBytes ?? 0,
  };
}

/**
 * The worker of an isolate: a warm one of the right kind when the snapshot
 * keeps one (PyodideSnapshot.keepWarm), else a new Worker in this process
 * (worker isolation) or {@link ProcessWorker} (process isolation). A
 * process's stderr lines go to `onLog` tagged with the function.
 */
export function isolateWorkerFor(options: IsolateOptions): IsolateWorker {
  const { snapshot } = options;
  const tag = `[${options.functionName}] isolate process:`;
  const onStderr = (line: string) =>
    options.onLog?.(`${tag} ${line}`, { stream: "stderr" });
  const warm = snapshot.takeWarmWorker(warmKindOf(options));
  if (warm instanceof ProcessWorker) warm.onStderr = onStderr;
  if (warm) return warm;
  const name = `fs-isolate:${options.functionName}`;
  if (options.isolation !== "process") {
    return spawnWorker(snapshot.load.indexPath, name);
  }
  try {
    return ProcessWorker.spawn({
      name,
      indexPath: snapshot.load.indexPath,
      snapshot: { path: snapshot.path, bytes: snapshot.bytes.length },
      maxMemoryBytes: options.maxMemoryBytes ?? 0,
      onStderr,
    });
  } catch (error) {
    throw new FsError(
      "INTERNAL",
      `Cannot start the isolate process of function '${options.functionName}': ${
        messageOf(error)
      }`,
      { cause: error },
    );
  }
}
