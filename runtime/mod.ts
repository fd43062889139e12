/**
 * The Function Stream runtime: everything below the gRPC control plane.
 * @module
 */
export * from "./core/mod.ts";
export { Engine, type EngineOptions } from "./lifecycle/mod.ts";
export { DenoKvStateBackend } from "./state/mod.ts";
export { PyodideSnapshot } from "./isolate/mod.ts";
