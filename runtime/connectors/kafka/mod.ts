/**
 * The Kafka connector: a {@link KafkaSource} per input and a
 * {@link KafkaSink} per output, built on kafkajs, plus the mapping of Kafka
 * client settings to kafkajs options.
 * @module
 */
export { KafkaSource, type KafkaSourceOptions } from "./kafka_source.ts";
export { KafkaSink, type KafkaSinkOptions } from "./kafka_sink.ts";
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
