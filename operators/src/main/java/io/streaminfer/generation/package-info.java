/**
 * Generation with continuous batching, free of Flink and HTTP: a {@link io.streaminfer.generation.GenerationEngine}
 * runs one decoding loop over a {@link io.streaminfer.generation.DecoderModel}, admitting new sequences at step
 * boundaries under token and KV-cache budgets, sampling each sequence on its own, and handing each step's text
 * deltas to a {@link io.streaminfer.generation.GenerationListener}. {@code internal} holds its implementation and is
 * no API.
 */
package io.streaminfer.generation;
