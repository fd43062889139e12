/**
 * The Kafka connector: a {@link KafkaSource} per input and a
 * {@link KafkaSink} per output (or one {@link KafkaTransactionalWriter} for
 * all outputs of a function, exactly-once), built on kafkajs, plus the
 * mapping of Kafka client settings to kafkajs options.
 * @module
 */
export { KafkaSource, type KafkaSourceOptions } from "./kafka_source.ts";
export { KafkaSink, type KafkaSinkOptions } from "./kafka_sink.ts";
export {
  KafkaTransactionalWriter,
  type KafkaTransactionalWriterOptions,
} from "./transactional_writer.ts";
export { COMMIT_GROUP_PREFIX } from "./_transaction_settings.ts";
export {
  CONSUMER_SETTING_NAMES,
  type ConsumerSettings,
  consumerSettings,
  KAFKA_DEFAULTS,
  type KafkaClientOptions,
  type KafkaLogFn,
  PRODUCER_SETTING_NAMES,
  type ProducerSettings,
  producerSettings,
} from "./kafka_settings.ts";
export { kafkaLogCreator, kafkaLogLevel } from "./_log.ts";
