package io.streaminfer.flink.sql.internal;

import io.streaminfer.batching.BatchingConfig;
import io.streaminfer.batching.MicroBatcher;
import io.streaminfer.batching.Work;
import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.InferenceException;
import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.InferenceResponse;
import io.streaminfer.contract.OipJson;
import io.streaminfer.flink.metrics.BatcherMetrics;
import io.streaminfer.flink.sql.SqlModelOptions;
import io.streaminfer.runtime.Prediction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The remote mode: rows batched by a {@link MicroBatcher} (rows only; the server has its own cost budgets) and sent
 * as multi-row OIP requests to {@code {endpoint}/v2/models/{model}[/versions/{v}]/infer}, {@code workers} requests
 * in flight. A 400 or 413 for a batch is narrowed down by halving it until the rows at fault are found, so a bad row
 * fails alone with the server's own message; a 500 fails the batch with MODEL_ERROR, which the batcher narrows down
 * the same way.
 */
public final class RemoteRows implements RowBackend {
    private static final Logger LOG = LoggerFactory.getLogger(RemoteRows.class);

    /** A row and when its caller stops waiting. */
    record Row(InferenceRequest request, long deadlineEpochMs) {
    }

    private final MicroBatcher<Row> batcher;

    private RemoteRows(MicroBatcher<Row> batcher) {
        this.batcher = batcher;
    }

    public static RemoteRows open(SqlModelOptions o, BatcherMetrics metrics, String subtask) {
        OipHttpClient client = new OipHttpClient(o.remoteTimeoutMs(), o.remoteMaxAttempts(),
                o.remoteInitialBackoffMs(), o.remoteMaxBackoffMs(), o.remoteToken());
        String url = inferUrl(o.endpoint(), o.model(), o.modelVersion());
        int workers = o.workers() == null ? 4 : o.workers();
        // The HTTP client bounds each attempt; the watchdog only catches what passes all of them.
        long worstCall = o.remoteMaxAttempts() * (o.remoteTimeoutMs() + o.remoteMaxBackoffMs()) + 10_000;
        BatchingConfig config = BatchingConfig.builder()
                .name(o.model() + "@remote")
                .maxBatchRows(o.batching().maxBatchSize())
                .maxDelay(Duration.ofMillis(o.batching().maxDelayMs()))
                .workers(workers)
                .queueBatches(o.batching().queueBatches())
                .watchdogMin(Duration.ofMillis(worstCall))
                .build();
        Executor executor = new Executor(client, url);
        MicroBatcher<Row> batcher = new MicroBatcher<>(config, executor::run, metrics, System::nanoTime,
                System::currentTimeMillis);
        metrics.registerGauges(batcher);
        LOG.info("SQL model {} in subtask {}: remote {}, {} request(s) in flight, batches of <= {} rows", o.model(),
                subtask, url, workers, config.maxBatchRows());
        return new RemoteRows(batcher);
    }

    public static String inferUrl(String endpoint, String model, String version) {
        return modelUrl(endpoint, model, version) + "/infer";
    }

    public static String modelUrl(String endpoint, String model, String version) {
        return endpoint + "/v2/models/" + model + (version == null ? "" : "/versions/" + version);
    }

    public int maxBatchRows() {
        return batcher.config().maxBatchRows();
    }

    @Override
    public CompletableFuture<Prediction> submit(String rowId, InferenceRequest request, long deadlineEpochMs)
            throws InterruptedException {
        Work work = Work.rows(1);
        batcher.awaitRoom(work);
        return batcher.submit(rowId, new Row(request, deadlineEpochMs), work, 0, deadlineEpochMs);
    }

    @Override
    public String failure() {
        return batcher.failure();
    }

    @Override
    public void close() {
        batcher.close();
    }

    /** One batch: rows of equal inner shapes share a request; a rejected request is halved to find the bad rows. */
    static final class Executor {
        private final OipHttpClient client;
        private final String url;

        Executor(OipHttpClient client, String url) {
            this.client = client;
            this.url = url;
        }

        List<Prediction> run(List<Row> batch) {
            Prediction[] out = new Prediction[batch.size()];
            Map<String, List<Integer>> groups = new LinkedHashMap<>();
            for (int i = 0; i < batch.size(); i++) {
                groups.computeIfAbsent(Stacking.shapeKey(batch.get(i).request()), k -> new ArrayList<>()).add(i);
            }
            try {
                for (List<Integer> group : groups.values()) {
                    send(batch, group, out);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                for (int i = 0; i < out.length; i++) {
                    if (out[i] == null) {
                        out[i] = Prediction.failure(ErrorCode.INTERNAL, "interrupted (the task is stopping)");
                    }
                }
            }
            return Arrays.asList(out);
        }

        private void send(List<Row> batch, List<Integer> idx, Prediction[] out) throws InterruptedException {
            List<InferenceRequest> rows = new ArrayList<>(idx.size());
            long deadline = Long.MAX_VALUE;
            for (int i : idx) {
                rows.add(batch.get(i).request());
                deadline = Math.min(deadline, batch.get(i).deadlineEpochMs());
            }
            String what = rows.size() == 1 ? "row " + rows.get(0).id() : "rows " + rows.get(0).id() + ".."
                    + rows.get(rows.size() - 1).id();
            byte[] body = OipJson.writeRequest(Stacking.stack(rows.get(0).id(), rows));
            OipHttpClient.Answer a = client.post(url, body, what, deadline);
            if (a.failure() != null) {
                fill(idx, out, Prediction.failure(a.failure(), a.reason() + errorOf(a.body())));
                return;
            }
            int s = a.status();
            if (s / 100 == 2) {
                try {
                    List<InferenceResponse> split = Stacking.split(OipJson.parseResponse(a.body()), rows);
                    for (int k = 0; k < idx.size(); k++) {
                        out[idx.get(k)] = Prediction.success(split.get(k));
                    }
                } catch (RuntimeException e) {
                    fill(idx, out, Prediction.failure(ErrorCode.MODEL_ERROR, "unreadable response from " + url
                            + ": " + e.getMessage()));
                }
                return;
            }
            if ((s == 400 || s == 413 || s == 422) && idx.size() > 1) {
                // Which rows are at fault: halve until each rejected part is a single row.
                int half = idx.size() / 2;
                send(batch, idx.subList(0, half), out);
                send(batch, idx.subList(half, idx.size()), out);
                return;
            }
            ErrorCode code = s == 400 || s == 422 ? ErrorCode.INVALID_INPUT : s == 413 ? ErrorCode.PAYLOAD_TOO_LARGE
                    : s == 404 ? ErrorCode.UNKNOWN_MODEL : s == 500 ? ErrorCode.MODEL_ERROR : ErrorCode.INTERNAL;
            String hint = s == 401 || s == 403 ? " (set 'remote.token')" : "";
            fill(idx, out, Prediction.failure(code, "the server answered HTTP " + s + hint + errorOf(a.body())));
        }

        private static void fill(List<Integer> idx, Prediction[] out, Prediction p) {
            for (int i : idx) {
                out[i] = p;
            }
        }

        /** The OIP {"error": "..."} message of a body, as ": message", or "". */
        private static String errorOf(byte[] body) {
            if (body == null || body.length == 0) {
                return "";
            }
            try {
                com.fasterxml.jackson.databind.JsonNode n = OipJson.MAPPER.readTree(body);
                if (n != null && n.hasNonNull("error")) {
                    return ": " + n.get("error").asText();
                }
            } catch (java.io.IOException | RuntimeException e) {
                // not JSON: show its start
            }
            String text = new String(body, 0, Math.min(body.length, 300), StandardCharsets.UTF_8);
            return ": " + text;
        }
    }

    /** For the planner: the server's model metadata as a signature. */
    public static ModelSignature metadata(SqlModelOptions o) {
        String url = modelUrl(o.endpoint(), o.model(), o.modelVersion());
        OipHttpClient client = new OipHttpClient(Math.min(o.remoteTimeoutMs(), 10_000), 1, 0, 0, o.remoteToken());
        OipHttpClient.Answer a = client.get(url);
        if (a.failure() != null) {
            throw new IllegalArgumentException(a.reason() + "; check 'endpoint', or set 'remote.check-metadata' = "
                    + "'false' to plan without asking the server");
        }
        if (a.status() == 404) {
            throw new IllegalArgumentException("the server at '" + o.endpoint() + "' has no model '" + o.model() + "'"
                    + (o.modelVersion() == null ? "" : " version '" + o.modelVersion() + "'") + errorOf(a.body())
                    + "; check 'model' and 'model-version'");
        }
        if (a.status() != 200) {
            throw new IllegalArgumentException("GET " + url + " answered HTTP " + a.status() + errorOf(a.body())
                    + (a.status() == 401 || a.status() == 403 ? "; set 'remote.token'" : ""));
        }
        try {
            com.fasterxml.jackson.databind.JsonNode n = OipJson.MAPPER.readTree(a.body());
            String version = o.modelVersion();
            return new ModelSignature(o.model(), version, tensors(n.get("inputs"), url),
                    tensors(n.get("outputs"), url), "metadata " + url);
        } catch (java.io.IOException | RuntimeException e) {
            throw new IllegalArgumentException("unreadable model metadata from " + url + ": " + e.getMessage(), e);
        }
    }

    private static String errorOf(byte[] body) {
        return Executor.errorOf(body);
    }

    private static List<TensorDecl> tensors(com.fasterxml.jackson.databind.JsonNode list, String url) {
        if (list == null || !list.isArray()) {
            throw new IllegalArgumentException("the metadata at " + url + " lists no inputs/outputs");
        }
        List<TensorDecl> out = new ArrayList<>();
        for (com.fasterxml.jackson.databind.JsonNode t : list) {
            com.fasterxml.jackson.databind.JsonNode shape = t.get("shape");
            long[] dims = new long[shape == null ? 0 : shape.size()];
            for (int i = 0; i < dims.length; i++) {
                dims[i] = shape.get(i).asLong();
            }
            if (dims.length == 0 || dims[0] != -1) {
                throw new InferenceException(ErrorCode.INVALID_INPUT, "tensor '" + t.path("name").asText() + "' of "
                        + url + " has shape " + Arrays.toString(dims) + ": this provider sends rows batched, so the "
                        + "model's first dimension must be the batch dimension, -1");
            }
            out.add(new TensorDecl(t.path("name").asText(), io.streaminfer.contract.Datatype.parse(
                    t.path("datatype").asText()), dims));
        }
        return out;
    }
}
