/**
 * Per-function metrics: the interface the engine reports through
 * ({@link FunctionMetrics}) and its Prometheus implementation
 * ({@link MetricsRegistry}).
 * @module
 */
export {
  type BatchSample,
  type CheckpointSample,
  type FunctionMetrics,
  type LagSample,
  mutationBytes,
  noMetrics,
} from "./function_metrics.ts";
export {
  BATCH_SECONDS_BUCKETS,
  CHECKPOINT_SECONDS_BUCKETS,
  MetricsRegistry,
  type MetricsRegistryOptions,
} from "./metrics_registry.ts";
