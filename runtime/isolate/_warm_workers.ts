/**
 * Workers that load Pyodide from the snapshot before a function asks for
 * one: FunctionIsolate.start then skips spawning the worker (or its
 * process) and loading Pyodide, most of a cold start. A warm worker has run
 * no operator code; it gets its function, memory cap and realm lockdown
 * with `start`, exactly as a fresh worker, and serves that one function.
 * @module
 */
import type { HostMessage, LoadConfig } from "./protocol.ts";
import type { IsolateWorker } from "./_worker.ts";

/**
 * How long after a worker was taken its replacement is spawned: functions
 * created together do not compete with a refill for the CPU.
 */
export const REFILL_DELAY_MS = 250;

/**
 * The same for an isolate process, whose refill costs more CPU (a process,
 * Pyodide, the warm-up and V8 optimizing it: about 1.4 s of a core) and
 * competed with the function just started for its first seconds.
 */
export const PROCESS_REFILL_DELAY_MS = 3000;

/**
 * What kind of worker a pool keeps: only a start that asks for the same
 * kind takes one (a process's heap cap is fixed when it is spawned).
 */
export interface WarmKind {
  /** A Web Worker in this process, or one in a child process. */
  isolation: "worker" | "process";
  /** The memory limit the worker was spawned for (process isolation). */
  maxMemoryBytes: number;
}

/** How {@link WarmWorkers.keep} spawns a worker of its kind. */
export interface WarmSpawner {
  /** The kind this spawner makes. */
  kind: WarmKind;
  /** Spawns one (it is then sent `preload`). */
  spawn(): IsolateWorker;
}

/** True when `a` and `b` are the same kind of worker. */
export function sameKind(a: WarmKind, b: WarmKind): boolean {
  return a.isolation === b.isolation &&
    (a.isolation === "worker" || a.maxMemoryBytes === b.maxMemoryBytes);
}

/** A pool of workers that are loading or have loaded Pyodide. */
export class WarmWorkers {
  readonly #load: LoadConfig;
  readonly #snapshot: Uint8Array;
  readonly #ready: IsolateWorker[] = [];
  readonly #onError = new Map<IsolateWorker, (event: ErrorEvent) => void>();
  #spawner: WarmSpawner | undefined;
  #target = 0;
  #refillDelayMs = REFILL_DELAY_MS;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** A pool for this snapshot; it holds no worker until {@link keep}. */
  constructor(load: LoadConfig, snapshot: Uint8Array) {
    this.#load = load;
    this.#snapshot = snapshot;
  }

  /** Workers waiting to be taken. */
  get size(): number {
    return this.#ready.length;
  }

  /**
   * Keeps `count` workers made by `spawner` loaded ahead; 0 terminates
   * those waiting, as does a change of kind. A taken worker is replaced
   * `refillDelayMs` later.
   */
  keep(
    count: number,
    options: { spawner: WarmSpawner; refillDelayMs?: number },
  ): void {
    if (this.#spawner && !sameKind(this.#spawner.kind, options.spawner.kind)) {
      while (this.#ready.length > 0) this.#discard(this.#ready[0]);
    }
    this.#spawner = options.spawner;
    this.#target = Math.max(0, Math.floor(count));
    this.#refillDelayMs = options.refillDelayMs ??
      (options.spawner.kind.isolation === "process"
        ? PROCESS_REFILL_DELAY_MS
        : REFILL_DELAY_MS);
    while (this.#ready.length > this.#target) {
      this.#discard(this.#ready[this.#ready.length - 1]);
    }
    if (this.#target === 0) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    this.#refill();
  }

  /**
   * Takes a waiting worker of `kind` (it may still be loading: its `start`
   * then waits for that) and schedules its replacement; undefined when none
   * of that kind waits.
   */
  take(kind: WarmKind): IsolateWorker | undefined {
    if (!this.#spawner || !sameKind(this.#spawner.kind, kind)) return undefined;
    const worker = this.#ready.shift();
    if (!worker) return undefined;
    this.#release(worker);
    clearTimeout(this.#timer);
    const timer = setTimeout(() => {
      this.#timer = undefined;
      this.#refill();
    }, this.#refillDelayMs);
    Deno.unrefTimer(timer);
    this.#timer = timer;
    return worker;
  }

  #refill(): void {
    const spawner = this.#spawner;
    while (spawner && this.#ready.length < this.#target) {
      this.#ready.push(this.#spawn(spawner));
    }
  }

  #spawn(spawner: WarmSpawner): IsolateWorker {
    const worker = spawner.spawn();
    // A warm worker says nothing until its `start`: anything else (a fatal
    // error) means it cannot serve. It is dropped, not replaced, so that a
    // worker failing on every spawn does not spawn forever.
    worker.onmessage = () => this.#discard(worker);
    const onError = (event: ErrorEvent) => {
      event.preventDefault();
      this.#discard(worker);
    };
    worker.addEventListener("error", onError);
    this.#onError.set(worker, onError);
    const message: HostMessage = {
      type: "preload",
      id: 0,
      load: this.#load,
      snapshot: this.#snapshot,
    };
    worker.postMessage(message, []);
    return worker;
  }

  #release(worker: IsolateWorker): void {
    worker.onmessage = null;
    const onError = this.#onError.get(worker);
    if (onError) worker.removeEventListener("error", onError);
    this.#onError.delete(worker);
  }

  #discard(worker: IsolateWorker): void {
    const index = this.#ready.indexOf(worker);
    if (index >= 0) this.#ready.splice(index, 1);
    this.#release(worker);
    worker.terminate();
  }
}
