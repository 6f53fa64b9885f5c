package io.streaminfer.runtime.internal;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.Tensor;
import io.streaminfer.contract.model.DeviceSpec;
import io.streaminfer.contract.model.ModelConfig;
import io.streaminfer.contract.model.ModelVersion;
import io.streaminfer.runtime.Prediction;
import io.streaminfer.runtime.PreparedRequest;
import io.streaminfer.runtime.RuntimeListener;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Sentence embeddings: HuggingFace tokenizer, a TorchScript encoder taking {@code (input_ids, attention_mask,
 * token_type_ids)} and returning its last hidden state {@code [batch, tokens, dim]}, then mean (or CLS) pooling and
 * L2 normalisation, as sentence-transformers does.
 *
 * <p>Each row is tokenized once, by {@link TextPreparer} (here in {@link #prepare}, or where the job parses the
 * request), and only as far as the model reads it ({@link BoundedTokenizer}). A call's rows are sorted by length and run in passes of at most {@code max_batch_size} rows and
 * the call's token budget (rows × longest row), so rows are padded only to similar ones and the native memory of one
 * pass is bounded (attention is rows × heads × length², a few MB at the default budget).
 */
final class TextEmbeddingReplica extends TorchReplica {
    private final ModelConfig.TextSettings text;
    private final String inputName;
    private final String outputName;
    private final int dim;

    TextEmbeddingReplica(ModelVersion version, DeviceSpec device, int workers, RuntimeListener listener) {
        super(version, device, workers, listener);
        this.text = config.text();
        this.inputName = config.inputs().get(0).name();
        this.outputName = config.outputs().get(0).name();
        this.dim = (int) config.outputs().get(0).dim(1);
        try {
            preparer(new TextPreparer(version));
        } catch (RuntimeException e) {
            super.close();
            throw e;
        }
        selfCheck();
    }

    /** One real call at load, so a model whose output does not match its config fails at start-up, not per request. */
    private void selfCheck() {
        var p = predictBatch(List.of(new InferenceRequest("warm-up", List.of(Tensor.ofStrings(inputName, "warm up")))));
        if (!p.get(0).isSuccess()) {
            close();
            throw new IllegalStateException("model " + version.key() + " failed its start-up check: " + p.get(0).error());
        }
    }

    @Override
    protected void execute(List<PreparedRequest> requests, long maxBatchTokens, Prediction[] out) {
        // Every row of the call, shortest first; a row is (request, row within it).
        List<int[]> rows = new ArrayList<>();
        float[][] embeddings = new float[requests.size()][];
        for (int k = 0; k < requests.size(); k++) {
            TextRows r = (TextRows) requests.get(k).payload();
            embeddings[k] = new float[r.ids().length * dim];
            for (int j = 0; j < r.ids().length; j++) {
                rows.add(new int[] {k, j, r.ids()[j].length});
            }
        }
        rows.sort(Comparator.comparingInt(row -> row[2]));
        int start = 0;
        while (start < rows.size()) {
            int end = start + 1;
            // Sorted ascending: the last row of a pass is its longest.
            while (end < rows.size() && end - start + 1 <= config.maxBatchSize()
                    && (long) (end - start + 1) * rows.get(end)[2] <= maxBatchTokens) {
                end++;
            }
            List<int[]> pass = rows.subList(start, end);
            List<Integer> involved = involvedRequests(pass);
            run(involved, out, requests.get(pass.get(0)[0]).id(),
                    (predictor, manager) -> forward(predictor, manager, requests, pass, embeddings));
            start = end;
        }
        for (int k = 0; k < requests.size(); k++) {
            if (out[k] == null) {
                int n = ((TextRows) requests.get(k).payload()).ids().length;
                out[k] = Prediction.success(respond(requests.get(k).request(),
                        List.of(Tensor.ofFloats(outputName, new long[] {n, dim}, embeddings[k]))));
            }
        }
    }

    private static List<Integer> involvedRequests(List<int[]> pass) {
        List<Integer> ks = new ArrayList<>();
        for (int[] row : pass) {
            if (!ks.contains(row[0])) {
                ks.add(row[0]);
            }
        }
        return ks;
    }

    private void forward(Predictor<NDList, NDList> predictor, NDManager manager, List<PreparedRequest> requests,
            List<int[]> pass, float[][] embeddings) throws Exception {
        int batch = pass.size();
        int length = Math.max(1, pass.get(batch - 1)[2]);
        long[] ids = new long[batch * length];
        long[] mask = new long[batch * length];
        long[] types = new long[batch * length];
        long real = 0;
        for (int b = 0; b < batch; b++) {
            TextRows r = (TextRows) requests.get(pass.get(b)[0]).payload();
            int j = pass.get(b)[1];
            long[] rowIds = r.ids()[j];
            System.arraycopy(rowIds, 0, ids, b * length, rowIds.length);
            Arrays.fill(mask, b * length, b * length + rowIds.length, 1L);
            if (r.typeIds() != null && r.typeIds()[j] != null) {
                System.arraycopy(r.typeIds()[j], 0, types, b * length, rowIds.length);
            }
            real += rowIds.length;
        }
        Shape shape = new Shape(batch, length);
        NDArray maskNd = manager.create(mask, shape);
        NDList out = predictor.predict(new NDList(manager.create(ids, shape), maskNd, manager.create(types, shape)));
        NDArray hidden = out.get(0);
        if (hidden.getShape().dimension() != 3 || hidden.getShape().get(0) != batch
                || hidden.getShape().get(2) != dim) {
            throw new IllegalStateException("the encoder returned shape " + hidden.getShape() + " but [" + batch
                    + ", " + length + ", " + dim + "] was expected (config says dim " + dim + ")");
        }
        NDArray pooled;
        if ("cls".equals(text.pooling())) {
            pooled = hidden.get(":, 0, :");
        } else {
            NDArray m = maskNd.toType(DataType.FLOAT32, false).expandDims(2);
            pooled = hidden.mul(m).sum(new int[] {1}).div(m.sum(new int[] {1}).maximum(1e-9f));
        }
        if (text.normalize()) {
            pooled = pooled.div(pooled.norm(new int[] {1}, true).maximum(1e-12f));
        }
        float[] all = pooled.toFloatArray();
        for (int b = 0; b < batch; b++) {
            int[] row = pass.get(b);
            System.arraycopy(all, b * dim, embeddings[row[0]], row[1] * dim, dim);
        }
        listener.onForward(version, batch, real, (long) batch * length);
    }
}
