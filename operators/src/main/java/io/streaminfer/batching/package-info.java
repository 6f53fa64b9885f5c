/**
 * Dynamic batching in front of a model replica, free of Flink and HTTP: {@link io.streaminfer.batching.MicroBatcher}
 * groups requests that arrive one by one into batches for a {@link io.streaminfer.batching.BatchExecutor}.
 * {@code internal} holds its implementation and is no API.
 */
package io.streaminfer.batching;
