/**
 * FunctionIsolate: one sandboxed Worker running Pyodide for one function.
 * The host side owns the worker, serializes hook calls, answers the worker's
 * state reads from the StateBackend and turns every failure into a
 * classified {@link FsError}.
 * @module
 */
import type { InputRecord } from "../core/mod.ts";
import { FsError, messageOf } from "../core/mod.ts";
import type {
  FunctionSetup,
  HookCall,
  HostMessage,
  PackedResult,
  StateRequest,
  WorkerMessage,
} from "./protocol.ts";
import { decodeMutations, decodeOutputs, packRecords } from "./_packing.ts";
import type {
  BatchResult,
  CheckpointResult,
  IsolateOptions,
} from "./options.ts";
import { failureError, HOOK_NAMES, MemoryLimitError } from "./_failures.ts";
import { answerStateRequest } from "./_host_state.ts";
import type { IsolateWorker } from "./_worker.ts";
import { isolateWorkerFor } from "./_process_worker.ts";
import { checkIsolateOptions } from "./_validate.ts";
import { stateLimitsOf } from "./_state_limits.ts";

export type { BatchResult, CheckpointResult, IsolateOptions };

interface Pending {
  hook: string;
  resolve: (result: PackedResult) => void;
  reject: (error: FsError) => void;
  timer?: ReturnType<typeof setTimeout>;
}

function emptyResult(): BatchResult {
  return { outputs: [], mutations: [] };
}

/**
 * One function's sandbox: a Worker with Pyodide, started from a snapshot.
 * Calls run one at a time in call order. A hook that raises rejects its call
 * with FsError("USER_CODE") carrying the traceback, and the outputs and
 * state writes of that call are dropped; the host is expected to restart.
 */
export class FunctionIsolate {
  /** The function this isolate runs. */
  readonly functionName: string;
  readonly #worker: IsolateWorker;
  readonly #options: IsolateOptions;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #queue: Promise<unknown> = Promise.resolve();
  #dead: FsError | null = null;
  #closing: Promise<BatchResult> | null = null;
  #heapBytes = 0;

  private constructor(worker: IsolateWorker, options: IsolateOptions) {
    this.functionName = options.functionName;
    this.#worker = worker;
    this.#options = options;
    // Operator code can post anything through `js.postMessage`: a message
    // the host cannot handle ends this isolate, never the server.
    worker.onmessage = (event: MessageEvent<WorkerMessage>) => {
      try {
        this.#onMessage(event.data);
      } catch (error) {
        this.#crash(
          `The worker sent a malformed message: ${
            error instanceof Error ? error.message : String(error)
          }`,
        );
      }
    };
    worker.addEventListener("error", (event) => {
      event.preventDefault();
      this.#crash(`Uncaught error in the worker: ${event.message}`);
    });
    worker.addEventListener("messageerror", () => {
      this.#crash("A message from the worker could not be read");
    });
  }

  /**
   * Starts a worker from the snapshot, imports the modules, instantiates the
   * class and calls `init(ctx, config)`.
   *
   * @throws {FsError} BAD_REQUEST for invalid options; USER_CODE when an
   * import, the constructor or init fails (the message has the traceback).
   */
  static async start(options: IsolateOptions): Promise<FunctionIsolate> {
    checkIsolateOptions(options);
    const worker = isolateWorkerFor(options);
    const isolate = new FunctionIsolate(worker, options);
    const setup: FunctionSetup = {
      functionName: options.functionName,
      className: options.className,
      moduleNames: options.modules.map((m) => m.name),
      moduleSources: options.modules.map((m) => m.source),
      initConfig: { ...options.initConfig },
      outputCount: options.outputCount,
      pageSize: options.pageSize ?? 500,
      maxCachedEntries: options.maxCachedEntries ?? 100_000,
      maxMemoryBytes: options.maxMemoryBytes ?? 0,
      stateLimits: stateLimitsOf(options.functionName),
    };
    try {
      await isolate.#send("start", (id) => ({
        type: "start",
        id,
        load: options.snapshot.load,
        snapshot: options.snapshot.bytes,
        setup,
      }));
    } catch (error) {
      isolate.terminate();
      throw error;
    }
    return isolate;
  }

  /** Size of the isolate's WebAssembly memory after the last call, in bytes. */
  get heapBytes(): number {
    return this.#heapBytes;
  }

  /**
   * The id of the isolate's own process (process isolation), for logs and
   * `ps`; null when the worker runs in this process.
   */
  get processId(): number | null {
    return this.#worker.pid ?? null;
  }

  /** True once the isolate was closed, terminated or crashed. */
  get dead(): boolean {
    return this.#dead !== null;
  }

  /** Calls `process(ctx, source_id, data)` for each record, in order, in one round trip. */
  async process(records: InputRecord[]): Promise<BatchResult> {
    if (records.length === 0) return emptyResult();
    const call = packRecords(records);
    return this.#decode(
      await this.#call(call, [
        call.data.buffer,
        call.ends.buffer,
        call.sources.buffer,
      ]),
    );
  }

  /** Calls `process_watermark(ctx, source_id, watermark)`. */
  async processWatermark(
    sourceId: number,
    watermark: number,
  ): Promise<BatchResult> {
    return this.#decode(
      await this.#call({ hook: "processWatermark", sourceId, watermark }),
    );
  }

  /**
   * Calls `take_checkpoint(ctx, id)`. The mutations are everything not yet
   * handed out; `extra` is what the hook returned.
   */
  async takeCheckpoint(checkpointId: number): Promise<CheckpointResult> {
    const packed = await this.#call({ hook: "takeCheckpoint", checkpointId });
    const extra = packed.extra instanceof Uint8Array ? packed.extra : null;
    return { ...this.#decode(packed), extra };
  }

  /**
   * Calls `restore_checkpoint(ctx, id, data)`. What the hook emits or writes
   * is handed out by the next call.
   */
  async restoreCheckpoint(
    checkpointId: number,
    data: Uint8Array,
  ): Promise<void> {
    await this.#call({ hook: "restoreCheckpoint", checkpointId, data });
  }

  /** Calls `check_heartbeat(ctx)`; false asks for a restart (None counts as healthy). */
  async checkHeartbeat(): Promise<boolean> {
    const packed = await this.#call({ hook: "checkHeartbeat" });
    return packed.extra === true;
  }

  /** Calls `custom(payload)` and returns its bytes. */
  async custom(payload: Uint8Array): Promise<Uint8Array> {
    const packed = await this.#call({ hook: "custom", payload });
    return packed.extra instanceof Uint8Array
      ? packed.extra
      : new Uint8Array(0);
  }

  /**
   * Calls `close(ctx)`, then terminates the worker. Returns what the hook
   * emitted or wrote (commit it like any batch). Idempotent: later calls
   * return the same promise; an isolate already dead closes with nothing.
   */
  close(): Promise<BatchResult> {
    if (this.#closing) return this.#closing;
    if (this.#dead) {
      this.#closing = Promise.resolve(emptyResult());
      return this.#closing;
    }
    this.#closing = this.#call({ hook: "close" }).then(
      (packed) => this.#decode(packed),
    ).finally(() => this.#kill("closed", "INTERNAL"));
    return this.#closing;
  }

  /** Kills the worker at once; pending and later calls reject with FsError("INTERNAL"). */
  terminate(): void {
    this.#kill("terminated", "INTERNAL");
  }

  #decode(packed: PackedResult): BatchResult {
    try {
      return {
        outputs: decodeOutputs(packed),
        mutations: decodeMutations(packed),
      };
    } catch (error) {
      // Only a worker that posts forged results gets here.
      this.#crash(`Unreadable result: ${messageOf(error)}`);
      throw new FsError(
        "INTERNAL",
        `Cannot read the result of function '${this.functionName}': ${
          messageOf(error)
        }`,
        { cause: error },
      );
    }
  }

  #call(call: HookCall, transfer: Transferable[] = []): Promise<PackedResult> {
    if (this.#closing && call.hook !== "close") {
      return Promise.reject(this.#closedError(call.hook));
    }
    const run = this.#queue.then(() =>
      this.#send(call.hook, (id) => ({ type: "call", id, call }), transfer)
    );
    this.#queue = run.catch(() => {});
    return run;
  }

  #closedError(hook: HookCall["hook"]): FsError {
    return new FsError(
      "INTERNAL",
      `Cannot call ${
        HOOK_NAMES[hook]
      }() of function '${this.functionName}' as its isolate is closed`,
    );
  }

  #send(
    hook: HookCall["hook"] | "start",
    message: (id: number) => HostMessage,
    transfer: Transferable[] = [],
  ): Promise<PackedResult> {
    if (this.#dead) return Promise.reject(this.#dead);
    const id = this.#nextId++;
    const timeout = hook === "start" ? 0 : this.#options.callTimeoutMs ?? 0;
    return new Promise<PackedResult>((resolve, reject) => {
      const pending: Pending = { hook: HOOK_NAMES[hook], resolve, reject };
      if (timeout > 0) {
        pending.timer = setTimeout(() => this.#timeout(id, timeout), timeout);
      }
      this.#pending.set(id, pending);
      try {
        this.#worker.postMessage(message(id), transfer);
      } catch (error) {
        this.#pending.delete(id);
        reject(
          new FsError(
            "INTERNAL",
            `Cannot send ${
              HOOK_NAMES[hook]
            }() to the isolate of function '${this.functionName}': ${
              messageOf(error)
            }`,
            { cause: error },
          ),
        );
      }
    });
  }

  #onMessage(message: WorkerMessage): void {
    if (typeof message !== "object" || message === null) {
      throw new TypeError(`expected an object: current value is ${message}`);
    }
    switch (message.type) {
      case "done": {
        this.#heapBytes = message.heapBytes;
        const pending = this.#take(message.id);
        pending?.resolve(message.result);
        return;
      }
      case "failed": {
        this.#heapBytes = message.heapBytes;
        const pending = this.#take(message.id);
        if (message.error.kind === "memory") {
          this.#memoryExceeded(message.error.text, pending);
          if (message.error.fatal) this.#crash(message.error.text);
          return;
        }
        if (message.error.fatal) {
          this.#crash(message.error.text, pending);
          return;
        }
        pending?.reject(
          failureError(this.functionName, pending.hook, message.error),
        );
        return;
      }
      case "state":
        this.#serveState(message.id, message.request).catch((error) =>
          this.#crash(
            `The worker sent a malformed state request: ${
              error instanceof Error ? error.message : String(error)
            }`,
          )
        );
        return;
      case "log":
        this.#log(message.lines, message.dropped);
        return;
      case "fatal":
        if (message.memory === true) {
          this.#memoryExceeded(message.message, this.#oldestPending());
        }
        this.#crash(message.message);
        return;
      case "built":
        return;
    }
  }

  /** The call the worker is running (calls run one at a time, in order). */
  #oldestPending(): Pending | undefined {
    const first = this.#pending.keys().next();
    return first.done ? undefined : this.#take(first.value);
  }

  /** Rejects the call that ran out of memory with a {@link MemoryLimitError}. */
  #memoryExceeded(text: string, pending: Pending | undefined): void {
    pending?.reject(
      new MemoryLimitError(this.functionName, pending.hook, {
        limitBytes: this.#options.maxMemoryBytes ?? 0,
        text,
      }),
    );
  }

  #take(id: number): Pending | undefined {
    const pending = this.#pending.get(id);
    this.#pending.delete(id);
    clearTimeout(pending?.timer);
    return pending;
  }

  #timeout(id: number, ms: number): void {
    const pending = this.#take(id);
    if (!pending) return;
    pending.reject(
      new FsError(
        "USER_CODE",
        `Cannot finish ${pending.hook}() of function '${this.functionName}' within ${ms} ms: its isolate was terminated`,
      ),
    );
    this.#kill("terminated after a timeout", "USER_CODE");
  }

  async #serveState(id: number, request: StateRequest): Promise<void> {
    const { reply, transfer } = await answerStateRequest(
      this.#options.state,
      this.functionName,
      request,
    );
    if (this.#dead) return;
    const message: HostMessage = { type: "stateReply", id, reply };
    this.#worker.postMessage(message, transfer);
  }

  #log(lines: { stream: "stdout" | "stderr"; text: string }[], dropped = 0) {
    const onLog = this.#options.onLog;
    if (!onLog) return;
    const tag = `[${this.functionName}]`;
    for (const line of lines) {
      onLog(`${tag} ${line.text}`, { stream: line.stream });
    }
    if (dropped > 0) {
      onLog(`${tag} (${dropped} more lines dropped)`, { stream: "stderr" });
    }
  }

  /** The worker broke (crash, fatal Python error): fail every pending call and kill it. */
  #crash(reason: string, first?: Pending): void {
    if (this.#dead) return;
    const fn = this.functionName;
    const error = (hook: string) =>
      new FsError(
        "USER_CODE",
        `Cannot finish ${hook}() of function '${fn}' as its isolate crashed: ${reason}`,
      );
    first?.reject(error(first.hook));
    this.#kill(`crashed (${reason})`, "USER_CODE", error);
  }

  #kill(
    state: string,
    code: "INTERNAL" | "USER_CODE",
    errorFor?: (hook: string) => FsError,
  ): void {
    if (this.#dead) return;
    const fn = this.functionName;
    this.#dead = new FsError(
      code,
      `Cannot call the isolate of function '${fn}' as it is ${state}`,
    );
    this.#worker.terminate();
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const call of pending) {
      clearTimeout(call.timer);
      call.reject(
        errorFor?.(call.hook) ??
          new FsError(
            code,
            `Cannot finish ${call.hook}() of function '${fn}' as its isolate was ${state}`,
          ),
      );
    }
  }
}
