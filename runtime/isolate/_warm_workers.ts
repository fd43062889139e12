/**
 * Workers that load Pyodide from the snapshot before a function asks for
 * one (worker isolation): FunctionIsolate.start then skips spawning the
 * worker and loading Pyodide, most of a cold start. A warm worker has run
 * no operator code; it gets its function, memory cap and realm lockdown
 * with `start`, exactly as a fresh worker, and serves that one function.
 * @module
 */
import type { HostMessage, LoadConfig } from "./protocol.ts";
import { spawnWorker } from "./_worker.ts";

/**
 * How long after a worker was taken its replacement is spawned: functions
 * created together do not compete with a refill for the CPU.
 */
export const REFILL_DELAY_MS = 250;

/** A pool of workers that are loading or have loaded Pyodide. */
export class WarmWorkers {
  readonly #load: LoadConfig;
  readonly #snapshot: Uint8Array;
  readonly #ready: Worker[] = [];
  readonly #onError = new Map<Worker, (event: ErrorEvent) => void>();
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
   * Keeps `count` workers loaded ahead; 0 terminates those waiting. A taken
   * worker is replaced `refillDelayMs` later.
   */
  keep(count: number, refillDelayMs = REFILL_DELAY_MS): void {
    this.#target = Math.max(0, Math.floor(count));
    this.#refillDelayMs = refillDelayMs;
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
   * Takes a waiting worker (it may still be loading: its `start` then
   * waits for that) and schedules its replacement; undefined when none
   * waits.
   */
  take(): Worker | undefined {
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
    while (this.#ready.length < this.#target) {
      this.#ready.push(this.#spawn());
    }
  }

  #spawn(): Worker {
    const worker = spawnWorker(this.#load.indexPath, "fs-isolate:warm");
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
    worker.postMessage(message);
    return worker;
  }

  #release(worker: Worker): void {
    worker.onmessage = null;
    const onError = this.#onError.get(worker);
    if (onError) worker.removeEventListener("error", onError);
    this.#onError.delete(worker);
  }

  #discard(worker: Worker): void {
    const index = this.#ready.indexOf(worker);
    if (index >= 0) this.#ready.splice(index, 1);
    this.#release(worker);
    worker.terminate();
  }
}
