/**
 * The job's topology, assembled in one place ({@link io.streaminfer.flink.topology.InferenceTopology} from {@link
 * io.streaminfer.flink.topology.TopologySettings}), and the rules its operators rely on:
 *
 * <ol>
 *   <li><b>One shuffle, records keyed by ID after it.</b> Records are partitioned by request ID once, before
 *       admission. Every later edge is a forward one with the same parallelism, so each record stays on the subtask
 *       its ID was admitted on; keyed operators after admission (graph joins, the outcome recorder) read their input
 *       with {@code DataStreamUtils.reinterpretAsKeyedStream}, never through another {@code keyBy}.</li>
 *   <li><b>One path per request, in order.</b> Everything decided about a request before the model (ACCEPTED, a
 *       rejection, an expiry at admission, a replay of a duplicate ID) travels as an envelope carrying its outcome
 *       ({@code RequestEnvelope.decided}) on the same path as the requests; the inference step passes such envelopes
 *       through unchanged. So every outcome of a request reaches the outcome recorder in order (ACCEPTED, RUNNING,
 *       then the final one), and every status record of a request leaves from the recorder.</li>
 *   <li><b>Branches keep both.</b> A kind of request with operators of its own ({@link
 *       io.streaminfer.flink.topology.RequestBranch}: graphs) takes its requests, with their ACCEPTED, off the
 *       one-step path after admission, on forward edges, and hands exactly one final outcome per request to the
 *       recorder.</li>
 *   <li><b>Shared models.</b> Every operator of a subtask that runs a model (one-step inference, graph steps) uses
 *       the same inference settings, and so the subtask's one replica and one batcher per model version.</li>
 *   <li><b>Stable uids.</b> Savepoints map state by operator uid: {@code parse}, {@code rejections}, {@code
 *       admission}, {@code graph-router}, the graphs' (from graph, version and step), {@code inference}, {@code
 *       outcomes}; the job names its source and sinks.</li>
 * </ol>
 *
 * The operators themselves (in {@code ingest}, {@code status}, {@code graph}, {@code inference}) are assembled only
 * here; they are marked {@link org.apache.flink.annotation.Internal} and are not for use outside this module.
 */
package io.streaminfer.flink.topology;
