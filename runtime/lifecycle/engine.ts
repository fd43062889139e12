/**
 * The engine: registers functions, starts and stops their runners, tracks
 * their status through the transitions table, and restores the functions
 * that should run when the server starts.
 * @module
 */
import {
  type CheckpointInfo,
  compileGlob,
  type CreatePythonFunctionInput,
  DEFAULT_FUNCTION_MEMORY_MB,
  FsError,
  type FunctionControl,
  type FunctionInfo,
  type FunctionStatus,
  type IsolationMode,
  type Logger,
  messageOf,
  parseTaskConfig,
} from "../core/mod.ts";
import type { PyodideSnapshot } from "../isolate/mod.ts";
import { type FunctionMetrics, noMetrics } from "../metrics/mod.ts";
import { FunctionRegistry, notFound } from "./function_registry.ts";
import { FunctionRunner } from "./function_runner.ts";
import type { CheckpointedState } from "./result_committer.ts";
import { FunctionSupervisor } from "./supervisor.ts";
import { transition } from "./transitions.ts";
import { checkUpload, type UploadLimits } from "./upload_limits.ts";

/** What the engine is built from. */
export interface EngineOptions {
  /** The server's Deno KV (registry). */
  kv: Deno.Kv;
  /** Where operator state and checkpoints live. */
  state: CheckpointedState;
  /** The Pyodide snapshot every worker starts from. */
  snapshot: PyodideSnapshot;
  /** The server log. */
  logger: Logger;
  /** Limits on uploads; defaults in upload_limits.ts. */
  uploadLimits?: Partial<UploadLimits>;
  /**
   * Receives what functions do (records, latency, failures, lag).
   * @default noMetrics
   */
  metrics?: FunctionMetrics;
  /**
   * Memory limit of a function whose config has no `memory_limit_mb`, in
   * bytes (the server's `--function-memory-mb`).
   * @default DEFAULT_FUNCTION_MEMORY_MB MiB
   */
  functionMemoryBytes?: number;
  /**
   * Where functions' isolates run (the server's `--isolation`).
   * @default "worker"
   */
  isolation?: IsolationMode;
}

interface Slot {
  status: FunctionStatus;
  runner: FunctionRunner | null;
  lastError: string | null;
  supervisor: FunctionSupervisor;
}

/** Who starts a function: a user (errors are thrown back) or the restart policy. */
type StartMode = "user" | "policy";

/** Implements every control operation of the gRPC API. */
export class Engine implements FunctionControl {
  readonly #options: EngineOptions;
  readonly #registry: FunctionRegistry;
  readonly #slots = new Map<string, Slot>();
  /** Serializes operations per function name. */
  readonly #locks = new Map<string, Promise<unknown>>();

  /** Creates an engine; call {@link Engine.recover} to restore running functions. */
  constructor(options: EngineOptions) {
    this.#options = options;
    this.#registry = new FunctionRegistry(options.kv);
  }

  /** Starts every registered function whose desired state is RUNNING. */
  async recover(): Promise<void> {
    for (const record of await this.#registry.list()) {
      const slot = this.#slot(record.name, record.lastError);
      if (record.desiredState !== "RUNNING") {
        slot.status = "STOPPED";
        continue;
      }
      // A failing start (Kafka not up yet, say) goes through the policy.
      await this.#locked(record.name, () => this.#start(record.name, "policy"))
        .catch((error) =>
          this.#options.logger.log("error", "cannot recover function", {
            function: record.name,
            error: messageOf(error),
          })
        );
    }
  }

  /** Registers a Python function and starts it. */
  async createPythonFunction(input: CreatePythonFunctionInput): Promise<void> {
    const config = parseTaskConfig(input.configYaml);
    if (config.type !== "python") {
      throw new FsError(
        "BAD_REQUEST",
        `Cannot create a Python function from a task of type '${config.type}': set type to 'python'`,
      );
    }
    checkUpload(input, this.#options.uploadLimits);
    await this.#locked(config.name, async () => {
      await this.#registry.create({
        record: {
          name: config.name,
          taskType: config.type,
          className: input.className,
          moduleNames: input.modules.map((m) => m.name),
          desiredState: "RUNNING",
          lastError: null,
        },
        configYaml: input.configYaml,
        modules: input.modules,
      });
      this.#slots.set(config.name, this.#newSlot(config.name, null));
      this.#event("function created", config.name);
      try {
        await this.#start(config.name, "user");
      } catch (error) {
        // Broken Python or an upload the isolate refuses (e.g. a module
        // named like a runtime package) is the uploader's mistake:
        // unregister, so fixing it and creating again needs no drop.
        if (
          error instanceof FsError &&
          (error.code === "USER_CODE" || error.code === "BAD_REQUEST")
        ) {
          await this.#remove(config.name);
          throw new FsError(
            "BAD_REQUEST",
            `Cannot create function '${config.name}': ${error.message}`,
          );
        }
        throw new FsError(
          error instanceof FsError ? error.code : "INTERNAL",
          `Function '${config.name}' was created but cannot start: ${
            messageOf(error)
          }; ` +
            "fix the cause and call start_function",
        );
      }
    });
  }

  /** Starts a function; starting a running one succeeds. */
  startFunction(name: string): Promise<void> {
    return this.#locked(name, async () => {
      await this.#requireRecord(name);
      const slot = this.#slot(name, null);
      if (slot.status === "RUNNING") return;
      await this.#registry.update(name, { desiredState: "RUNNING" });
      // A user start skips a pending backoff and begins a fresh policy.
      slot.supervisor.cancel();
      if (slot.status === "RESTARTING") {
        slot.status = transition(slot.status, "STOPPED");
      }
      await this.#start(name, "user");
    });
  }

  /** Stops a function; stopping a stopped one succeeds. */
  stopFunction(name: string): Promise<void> {
    return this.#locked(name, async () => {
      await this.#requireRecord(name);
      await this.#registry.update(name, { desiredState: "STOPPED" });
      await this.#stop(name);
    });
  }

  /** Stops a function and removes it, its modules and its state. */
  dropFunction(name: string): Promise<void> {
    return this.#locked(name, async () => {
      await this.#requireRecord(name);
      await this.#stop(name);
      await this.#remove(name);
      this.#event("function dropped", name);
    });
  }

  /** Lists functions whose name matches a glob pattern, in name order. */
  async listFunctions(pattern?: string): Promise<FunctionInfo[]> {
    const records = await this.#registry.list();
    // Compiled once for the whole list, not once per function.
    const matcher = pattern ? compileGlob(pattern) : null;
    return records
      .filter((record) => matcher === null || matcher.test(record.name))
      .map((record) => {
        const slot = this.#slot(record.name, record.lastError);
        return {
          name: record.name,
          taskType: record.taskType,
          status: slot.status,
          lastError: slot.lastError ?? undefined,
          errorCount: slot.supervisor.errorCount,
          restartCount: slot.supervisor.restartCount,
        };
      });
  }

  /**
   * Takes a checkpoint of a running function now; resolves with its id once
   * it is complete.
   */
  async triggerCheckpoint(name: string): Promise<number> {
    await this.#requireRecord(name);
    const slot = this.#slots.get(name);
    if (slot?.status !== "RUNNING" || slot.runner === null) {
      throw new FsError(
        "CONFLICT",
        `Cannot take a checkpoint of function "${name}" as it is not running: current status is ${
          slot?.status ?? "CREATED"
        }`,
      );
    }
    return await slot.runner.requestCheckpoint();
  }

  /** Lists a function's complete checkpoints, oldest first. */
  async listCheckpoints(name: string): Promise<CheckpointInfo[]> {
    await this.#requireRecord(name);
    return await this.#options.state.listCheckpoints(name);
  }

  /**
   * Rewinds a stopped (or failed) function's state and input positions to
   * one of its checkpoints; the checkpoints after it are deleted.
   */
  restoreCheckpoint(name: string, checkpointId: number): Promise<void> {
    return this.#locked(name, async () => {
      await this.#requireRecord(name);
      const status = this.#slots.get(name)?.status ?? "CREATED";
      if (status !== "STOPPED" && status !== "FAILED" && status !== "CREATED") {
        throw new FsError(
          "CONFLICT",
          `Cannot restore checkpoint ${checkpointId} of function "${name}" as it is not stopped: current status is ${status}`,
        );
      }
      await this.#options.state.restoreCheckpoint(name, checkpointId);
      this.#event(`function restored to checkpoint ${checkpointId}`, name);
    });
  }

  /**
   * Kills a running function's worker as a crash would; the restart policy
   * takes over (for fault tests; not part of the gRPC API).
   */
  crashWorker(name: string): void {
    this.#slots.get(name)?.runner?.crashWorker();
  }

  /** Stops every running function (server shutdown); their desired state is kept. */
  async shutdown(): Promise<void> {
    await Promise.all(
      [...this.#slots.keys()].map((name) =>
        this.#locked(name, () => this.#stop(name))
      ),
    );
  }

  /**
   * Starts a function's runner. A user start throws its failure (and the
   * function is FAILED); a policy start hands it to the restart policy.
   */
  async #start(name: string, mode: StartMode): Promise<void> {
    const slot = this.#slot(name, null);
    if (slot.status === "RUNNING" || slot.status === "STARTING") return;
    const restarting = slot.status === "FAILED" ||
      slot.status === "RESTARTING";
    slot.status = transition(slot.status, "STARTING");
    try {
      const definition = await this.#registry.load(name);
      const config = parseTaskConfig(definition.configYaml);
      if (mode === "user") slot.supervisor.reset(config.supervision);
      else slot.supervisor.ensure(config.supervision);
      slot.runner = await FunctionRunner.start({
        config,
        className: definition.record.className,
        modules: definition.modules,
        state: this.#options.state,
        snapshot: this.#options.snapshot,
        logger: this.#options.logger,
        metrics: this.#options.metrics,
        maxMemoryBytes: config.supervision.memoryLimitBytes ??
          this.#options.functionMemoryBytes ??
          DEFAULT_FUNCTION_MEMORY_MB * 1024 * 1024,
        isolation: this.#options.isolation,
        onFailure: (error) => this.#fail(name, slot, error),
      });
      slot.status = transition(slot.status, "RUNNING");
      const metrics = this.#options.metrics ?? noMetrics;
      if (restarting) metrics.functionRestarted(name);
      metrics.functionStarted(name, () => slot.runner?.consumerLag() ?? []);
      const pid = slot.runner.isolateProcessId;
      this.#event(
        pid === null
          ? "function started"
          : `function started (isolate process ${pid})`,
        name,
      );
      // After a restart the error that caused it stays readable.
      if (mode === "policy") return;
      slot.lastError = null;
      await this.#registry.update(name, { lastError: null });
    } catch (error) {
      if (mode === "policy") return this.#failed(name, slot, error);
      await this.#markFailed(name, slot, error);
      throw error;
    }
  }

  /** A scheduled restart is due: start again unless stopped meanwhile. */
  #restart(name: string, slot: Slot): Promise<void> {
    return this.#locked(name, async () => {
      if (this.#slots.get(name) !== slot || slot.status !== "RESTARTING") {
        return;
      }
      await this.#start(name, "policy");
    });
  }

  async #stop(name: string): Promise<void> {
    const slot = this.#slots.get(name);
    if (slot === undefined || slot.status === "STOPPED") return;
    slot.supervisor.cancel();
    if (
      slot.status === "CREATED" || slot.status === "FAILED" ||
      slot.status === "RESTARTING"
    ) {
      slot.status = transition(slot.status, "STOPPED");
      return;
    }
    slot.status = transition(slot.status, "STOPPING");
    const runner = slot.runner;
    slot.runner = null;
    await runner?.stop();
    slot.status = transition(slot.status, "STOPPED");
    this.#event("function stopped", name);
  }

  async #remove(name: string): Promise<void> {
    this.#slots.get(name)?.supervisor.cancel();
    await this.#options.state.dropFunction(name);
    await this.#registry.delete(name);
    this.#slots.delete(name);
    (this.#options.metrics ?? noMetrics).forgetFunction(name);
  }

  /** The runner failed while running (it has released everything). */
  #fail(name: string, slot: Slot, error: unknown): void {
    if (this.#slots.get(name) !== slot || slot.status !== "RUNNING") return;
    slot.runner = null;
    this.#failed(name, slot, error).catch(() => {});
  }

  /** Applies the restart policy: RESTARTING with a scheduled restart, or FAILED. */
  async #failed(name: string, slot: Slot, error: unknown): Promise<void> {
    const outcome = slot.supervisor.failed(error);
    slot.status = transition(slot.status, outcome.status);
    slot.lastError = outcome.lastError;
    await this.#registry.update(name, { lastError: slot.lastError }).catch(
      () => {},
    );
  }

  async #markFailed(name: string, slot: Slot, error: unknown): Promise<void> {
    slot.status = transition(slot.status, "FAILED");
    slot.lastError = messageOf(error);
    (this.#options.metrics ?? noMetrics).functionFailed(name);
    this.#options.logger.log("error", "function failed", {
      function: name,
      error: slot.lastError,
    });
    await this.#registry.update(name, { lastError: slot.lastError }).catch(
      () => {},
    );
  }

  async #requireRecord(name: string): Promise<void> {
    if ((await this.#registry.get(name)) === null) throw notFound(name);
  }

  #slot(name: string, lastError: string | null): Slot {
    let slot = this.#slots.get(name);
    if (slot === undefined) {
      slot = this.#newSlot(name, lastError);
      this.#slots.set(name, slot);
    }
    return slot;
  }

  #newSlot(name: string, lastError: string | null): Slot {
    const slot: Slot = {
      status: "CREATED",
      runner: null,
      lastError,
      supervisor: new FunctionSupervisor({
        functionName: name,
        logger: this.#options.logger,
        metrics: this.#options.metrics ?? noMetrics,
        restart: () => this.#restart(name, slot).catch(() => {}),
      }),
    };
    return slot;
  }

  #event(message: string, name: string): void {
    this.#options.logger.log("info", message, { function: name });
  }

  #locked<T>(name: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#locks.get(name) ?? Promise.resolve();
    const next = previous.catch(() => {}).then(work);
    this.#locks.set(name, next);
    next.finally(() => {
      if (this.#locks.get(name) === next) this.#locks.delete(name);
    }).catch(() => {});
    return next;
  }
}
