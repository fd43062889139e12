/**
 * Leaf types shared by every part of the runtime.
 * @module
 */
export * from "./errors.ts";
export * from "./records.ts";
export * from "./state_types.ts";
export * from "./checkpoint_types.ts";
export * from "./task_config.ts";
export * from "./task_options.ts";
export * from "./function_types.ts";
export * from "./glob.ts";
export * from "./log.ts";
export * from "./server_config.ts";
