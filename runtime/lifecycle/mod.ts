/**
 * The engine: function registry, lifecycle transitions and runners.
 * @module
 */
export { Engine, type EngineOptions } from "./engine.ts";
export {
  type DesiredState,
  type FunctionRecord,
  FunctionRegistry,
} from "./function_registry.ts";
export { transition, TRANSITIONS } from "./transitions.ts";
export {
  checkUpload,
  DEFAULT_UPLOAD_LIMITS,
  isModulePath,
  type UploadLimits,
} from "./upload_limits.ts";
