package io.streaminfer.job.bench;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.InferenceResponse;
import io.streaminfer.contract.OipJson;
import io.streaminfer.contract.RequestState;
import io.streaminfer.contract.StatusRecord;
import io.streaminfer.contract.Tensor;
import io.streaminfer.contract.model.ModelRepository;
import io.streaminfer.contract.model.ModelVersion;
import io.streaminfer.flink.records.Outcome;
import io.streaminfer.flink.records.Outcomes;
import io.streaminfer.flink.records.RequestEnvelope;
import io.streaminfer.flink.records.internal.OutcomeSerializer;
import io.streaminfer.flink.records.internal.RequestEnvelopeSerializer;
import io.streaminfer.flink.status.KeptOutcome;
import io.streaminfer.job.testing.RealTexts;
import io.streaminfer.runtime.PreparedRequest;
import io.streaminfer.runtime.PreparedRequestCodec;
import io.streaminfer.runtime.Preparers;
import io.streaminfer.runtime.RequestPreparer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * What each step of our own code costs per request, one thread, one warm JVM: the steps a request takes on the
 * parse thread (read the OIP JSON, validate and tokenize, encode the prepared form, serialize the envelope for the
 * shuffle) and after it (read the envelope and the prepared form; on the batcher's thread write the 384-float result;
 * keep it in state and write two status records on the inference task's). Each step runs over the real texts of {@code deploy/data} (the GPU
 * stand-in's short ones, up to 25 words, and the whole mix, 2 to 875 words), beside the naive way where the
 * dependencies offer one (DJL's full tokenizer encoding, Jackson's bean writer). The sum is what the pipeline's
 * measured CPU per request ({@code deploy/bin/bench-pipeline}) holds of our code; the rest is Kafka, Flink and
 * RocksDB. Run it through {@code deploy/bin/bench-stages}.
 */
@Command(name = "bench-stages", mixinStandardHelpOptions = true,
        description = "Per-request cost of each step of the job's own code (no Flink, no Kafka).")
public final class StageBenchmark implements Callable<Integer> {
    @Option(names = "--models-dir")
    Path modelsDir;

    @Option(names = "--model", defaultValue = "all-minilm-l6-v2")
    String model;

    @Option(names = "--rounds", defaultValue = "7", description = "Measured rounds per step; the median is shown.")
    int rounds;

    @Option(names = "--round-ms", defaultValue = "400")
    long roundMs;

    /** Results of each step land here, so the JIT cannot drop the work. */
    private long sink;

    public static void main(String[] args) {
        System.exit(new CommandLine(new StageBenchmark()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Path dir = modelsDir != null ? modelsDir
                : Path.of(System.getenv().getOrDefault("STREAMINFER_MODELS_DIR", "deploy/models"));
        List<String> all = RealTexts.load(dir);
        List<String> shortTexts = all.stream().filter(t -> t.split(" ").length <= 25).toList();
        ModelVersion version = ModelRepository.open(dir).model(model).version("1");
        System.out.printf(Locale.ROOT, "one thread, %d rounds of %d ms per step, median; %d real texts "
                        + "(deploy/data), %d of them short (<= 25 words); model %s; ns per request%n", rounds,
                roundMs, all.size(), shortTexts.size(), version.key());
        System.out.printf(Locale.ROOT, "%-58s %12s %12s %8s%n", "step", "ours", "naive", "ours/naive");
        try (RequestPreparer preparer = Preparers.load(version);
                HuggingFaceTokenizer full = HuggingFaceTokenizer.builder()
                        .optTokenizerPath(version.directory().resolve(version.config().text().tokenizer()))
                        .optTruncation(true).optPadding(false).optMaxLength(version.config().text().maxLength())
                        .build()) {
            for (List<String> texts : List.of(shortTexts, all)) {
                String mix = texts == shortTexts ? "short texts" : "all texts";
                System.out.printf("-- %s: parse thread%n", mix);
                Inputs in = new Inputs(texts, preparer, version);
                double sum = 0;
                sum += row("read the OIP request JSON", in.n, i -> OipJson.parseRequest(in.json[i]).inputs().size(),
                        null);
                sum += row("validate and tokenize (ids only) | DJL's full Encoding", in.n,
                        i -> preparer.prepare(in.request[i]).rows(),
                        i -> full.encode(in.request[i].inputs().get(0).strings()[0]).getIds().length);
                sum += row("encode the prepared form", in.n, i -> PreparedRequestCodec.encode(in.prepared[i]).length,
                        null);
                DataOutputSerializer buffer = new DataOutputSerializer(4096);
                sum += row("serialize the envelope for the shuffle", in.n, i -> {
                    buffer.clear();
                    RequestEnvelopeSerializer.INSTANCE.serialize(in.envelope[i], buffer);
                    return buffer.length();
                }, null);
                System.out.printf(Locale.ROOT, "%-58s %12.0f%n", "parse thread, our code", sum);
                System.out.printf("-- %s: after the model (its batcher's and the inference task's threads)%n", mix);
                double task = 0;
                DataInputDeserializer reader = new DataInputDeserializer();
                task += row("read the envelope", in.n, i -> {
                    reader.setBuffer(in.envelopeBytes[i]);
                    return RequestEnvelopeSerializer.INSTANCE.deserialize(reader).priority;
                }, null);
                task += row("decode the prepared form", in.n,
                        i -> PreparedRequestCodec.decode(in.envelope[i].prepared).rows(), null);
                row("  of which the result: 384 floats as OIP JSON | Jackson's writer, a Map", in.n,
                        i -> OipJson.writeResponse(in.response[i]).length,
                        i -> OipJson.MAPPER.writeValueAsBytes(in.responseMap[i]).length);
                task += row("the outcome: the result's JSON and the compact form state keeps", in.n,
                        i -> Outcomes.success(in.envelope[i], in.response[i], 1L).result.length, null);
                task += row("keep the outcome in state (serialize)", in.n, i -> {
                    buffer.clear();
                    OutcomeSerializer.INSTANCE.serialize(in.kept[i], buffer);
                    return buffer.length();
                }, null);
                // Not summed: a request finds no outcome in state; only a replay reads one back.
                row("  read it back, for a replay", in.n, i -> {
                    reader.setBuffer(in.keptBytes[i]);
                    return OutcomeSerializer.INSTANCE.deserialize(reader).finishedAt;
                }, null);
                task += row("two status records as JSON | Jackson's bean writer", in.n,
                        i -> in.accepted[i].toJson().length + in.succeeded[i].toJson().length,
                        i -> OipJson.MAPPER.writeValueAsBytes(in.accepted[i]).length
                                + OipJson.MAPPER.writeValueAsBytes(in.succeeded[i]).length);
                System.out.printf(Locale.ROOT, "%-58s %12.0f%n", "after the model, our code", task);
                System.out.printf(Locale.ROOT, "%-58s %12.0f%n", "our code per request, " + mix, sum + task);
            }
        }
        // Printed so that no step's work is dead code to the JIT.
        System.out.printf(Locale.ROOT, "(checksum %d; the pipeline's CPU per request: deploy/bin/bench-pipeline)%n",
                sink);
        return 0;
    }

    /** A step's median ns per request, ours and naive (where given); the step's line is printed. */
    private double row(String name, int n, Step ours, Step naive) throws Exception {
        double o = measure(n, ours);
        if (naive == null) {
            System.out.printf(Locale.ROOT, "%-58s %12.0f%n", name, o);
        } else {
            double v = measure(n, naive);
            System.out.printf(Locale.ROOT, "%-58s %12.0f %12.0f %8.2f%n", name, o, v, o / v);
        }
        return o;
    }

    /** The median over rounds of ns per call, after a warm-up of two rounds; each round cycles through the inputs. */
    private double measure(int n, Step step) throws Exception {
        double[] perCall = new double[rounds];
        for (int r = -2; r < rounds; r++) {
            long calls = 0;
            long start = System.nanoTime();
            long end = start + roundMs * 1_000_000;
            long now;
            do {
                for (int i = 0; i < n; i++) {
                    sink += step.run(i);
                }
                calls += n;
                now = System.nanoTime();
            } while (now < end);
            if (r >= 0) {
                perCall[r] = (double) (now - start) / calls;
            }
        }
        Arrays.sort(perCall);
        return perCall[rounds / 2];
    }

    @FunctionalInterface
    private interface Step {
        long run(int i) throws Exception;
    }

    /** One request per text, in every form the steps take: JSON, parsed, prepared, enveloped, answered, kept. */
    private static final class Inputs {
        final int n;
        final byte[][] json;
        final InferenceRequest[] request;
        final PreparedRequest[] prepared;
        final RequestEnvelope[] envelope;
        final byte[][] envelopeBytes;
        final InferenceResponse[] response;
        /** The same response as plain Java values, for Jackson's generic writer. */
        final Object[] responseMap;
        final Outcome[] kept;
        final byte[][] keptBytes;
        final StatusRecord[] accepted;
        final StatusRecord[] succeeded;

        Inputs(List<String> texts, RequestPreparer preparer, ModelVersion version) throws Exception {
            n = texts.size();
            json = new byte[n][];
            request = new InferenceRequest[n];
            prepared = new PreparedRequest[n];
            envelope = new RequestEnvelope[n];
            envelopeBytes = new byte[n][];
            response = new InferenceResponse[n];
            responseMap = new Object[n];
            kept = new Outcome[n];
            keptBytes = new byte[n][];
            accepted = new StatusRecord[n];
            succeeded = new StatusRecord[n];
            int dim = (int) version.config().outputs().get(0).dim(1);
            String output = version.config().outputs().get(0).name();
            java.util.Random random = new java.util.Random(7);
            DataOutputSerializer out = new DataOutputSerializer(4096);
            for (int i = 0; i < n; i++) {
                // Ids as the bridge makes them (UUIDs), so key and string costs are those of production.
                String id = java.util.UUID.nameUUIDFromBytes(Integer.toString(i).getBytes()).toString();
                json[i] = RealTexts.request(id, texts.get(i));
                request[i] = OipJson.parseRequest(json[i]);
                prepared[i] = preparer.prepare(request[i]);
                RequestEnvelope e = new RequestEnvelope();
                e.id = id;
                e.responseId = id;
                e.model = version.name();
                e.modelVersion = version.version();
                e.prepared = PreparedRequestCodec.encode(prepared[i]);
                e.priority = Integer.MAX_VALUE;
                e.deadlineMs = Long.MAX_VALUE;
                e.producedAt = 1_700_000_000_000L + i;
                e.acceptedAt = e.producedAt + 3;
                e.replyTo = "bridge-0";
                envelope[i] = e;
                out.clear();
                RequestEnvelopeSerializer.INSTANCE.serialize(e, out);
                envelopeBytes[i] = out.getCopyOfBuffer();
                float[] embedding = new float[dim];
                for (int d = 0; d < dim; d++) {
                    embedding[d] = (float) random.nextGaussian() * 0.05f; // the scale of MiniLM's unit vectors
                }
                response[i] = new InferenceResponse(e.model, e.modelVersion, id, null,
                        List.of(Tensor.ofFloats(output, new long[] {1, dim}, embedding)));
                responseMap[i] = Map.of("model_name", e.model, "model_version", e.modelVersion, "id", id,
                        "outputs", List.of(Map.of("name", output, "datatype", "FP32", "shape",
                                new long[] {1, dim}, "data", embedding)));
                kept[i] = KeptOutcome.compact(Outcomes.success(e, response[i], e.acceptedAt + 40));
                out.clear();
                OutcomeSerializer.INSTANCE.serialize(kept[i], out);
                keptBytes[i] = out.getCopyOfBuffer();
                accepted[i] = StatusRecord.of(id, e.model, e.modelVersion, RequestState.ACCEPTED, e.acceptedAt,
                        e.acceptedAt);
                succeeded[i] = StatusRecord.of(id, e.model, e.modelVersion, RequestState.SUCCEEDED, e.acceptedAt,
                        e.acceptedAt + 40);
            }
        }
    }
}
