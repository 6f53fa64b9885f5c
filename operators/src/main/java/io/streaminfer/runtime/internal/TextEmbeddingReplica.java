package io.streaminfer.runtime.internal;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
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
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Sentence embeddings: HuggingFace tokenizer, a TorchScript encoder taking {@code (input_ids, attention_mask,
 * token_type_ids)} and returning its last hidden state {@code [batch, tokens, dim]}, then mean (or CLS) pooling and
 * L2 normalisation, as sentence-transformers does. Rows are padded to the longest row of the batch.
 */
final class TextEmbeddingReplica extends TorchReplica {
    private final HuggingFaceTokenizer tokenizer;
    private final ModelConfig.TextSettings text;
    private final String inputName;
    private final String outputName;
    private final int dim;

    TextEmbeddingReplica(ModelVersion version, DeviceSpec device, int workers) {
        super(version, device, workers);
        this.text = config.text();
        this.inputName = config.inputs().get(0).name();
        this.outputName = config.outputs().get(0).name();
        this.dim = (int) config.outputs().get(0).dim(1);
        Path tokenizerFile = version.directory().resolve(text.tokenizer());
        try {
            // Padding is ours (to the batch's longest row); truncation at the configured length, not the file's.
            this.tokenizer = HuggingFaceTokenizer.builder()
                    .optTokenizerPath(tokenizerFile)
                    .optTruncation(true)
                    .optPadding(false)
                    .optMaxLength(text.maxLength())
                    .build();
        } catch (IOException | RuntimeException e) {
            super.close();
            throw new IllegalStateException("cannot load tokenizer " + tokenizerFile + " of " + version.key() + ": "
                    + e.getMessage(), e);
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
    public int costOf(InferenceRequest request) {
        Tensor t = request.input(inputName);
        if (t == null || t.datatype() != io.streaminfer.contract.Datatype.BYTES) {
            return 1;
        }
        int max = 1;
        for (String s : t.strings()) {
            max = Math.max(max, tokenizer.encode(s).getIds().length);
        }
        return max;
    }

    @Override
    protected List<List<Tensor>> forward(Predictor<NDList, NDList> predictor, NDManager manager,
            List<InferenceRequest> requests, int[] rows) throws Exception {
        List<String> sentences = new ArrayList<>();
        for (InferenceRequest r : requests) {
            for (String s : r.input(inputName).strings()) {
                sentences.add(s);
            }
        }
        Encoding[] encodings = tokenizer.batchEncode(sentences);
        int batch = encodings.length;
        int length = 1;
        for (Encoding e : encodings) {
            length = Math.max(length, e.getIds().length);
        }
        long[] ids = new long[batch * length];
        long[] mask = new long[batch * length];
        long[] types = new long[batch * length];
        for (int b = 0; b < batch; b++) {
            long[] eIds = encodings[b].getIds();
            long[] eMask = encodings[b].getAttentionMask();
            long[] eTypes = encodings[b].getTypeIds();
            System.arraycopy(eIds, 0, ids, b * length, eIds.length);
            System.arraycopy(eMask, 0, mask, b * length, eMask.length);
            System.arraycopy(eTypes, 0, types, b * length, eTypes.length);
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
        List<List<Tensor>> result = new ArrayList<>(requests.size());
        int offset = 0;
        for (int k = 0; k < requests.size(); k++) {
            float[] mine = new float[rows[k] * dim];
            System.arraycopy(all, offset, mine, 0, mine.length);
            offset += mine.length;
            result.add(List.of(Tensor.ofFloats(outputName, new long[] {rows[k], dim}, mine)));
        }
        return result;
    }

    @Override
    public void close() {
        if (tokenizer != null) {
            tokenizer.close();
        }
        super.close();
    }
}
