package io.streaminfer.runtime.internal;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import io.streaminfer.contract.model.GenerationSettings;
import io.streaminfer.contract.model.ModelVersion;
import io.streaminfer.generation.DecoderModel;
import java.io.IOException;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A TorchScript decoder driven the way a Hugging Face GPT-2 traced with its cache is: {@code forward(input_ids,
 * position_ids, attention_mask, past_key_values)} with {@code past_key_values} a tuple of (key, value) per layer,
 * each {@code [batch, heads, length, head_dim]}, returning {@code (logits, present_key_values)}. A traced graph
 * cannot take an empty past, so a sequence starts with one masked dummy column, as DJL's GPT-2 translator does.
 *
 * <p>A batch keeps its rows right-aligned: each row's own tokens are the last columns, what is left of them is
 * masked padding ({@code pad[r]} columns). Joining a shorter cache pads it on the left; when every row has at least
 * {@link #trimAt} padding columns they are cut off, so padding stays bounded ({@link #worstCaseBytes}).
 */
public final class TorchDecoder implements DecoderModel {
    private final ModelVersion version;
    private final GenerationSettings settings;
    private final Device device;
    private final Model model;
    private final PtSymbolBlock block;
    private final int vocabulary;

    public TorchDecoder(ModelVersion version, Device device) {
        this.version = version;
        this.settings = version.config().generation();
        this.device = device;
        this.model = Model.newInstance(version.name(), device, "PyTorch");
        try {
            String file = version.config().modelFile();
            String prefix = file.endsWith(".pt") ? file.substring(0, file.length() - 3) : file;
            model.load(version.directory(), prefix, Map.of("mapLocation", "true"));
        } catch (IOException | MalformedModelException | RuntimeException e) {
            model.close();
            throw new IllegalStateException("cannot load generative model " + version.key() + " from "
                    + version.modelFile() + ": " + e.getMessage(), e);
        }
        this.block = (PtSymbolBlock) model.getBlock();
        this.vocabulary = probeVocabulary();
    }

    /** Runs one token to learn the vocabulary from the logits, and to fail at load if the signature is wrong. */
    private int probeVocabulary() {
        try (Cache c = newCache()) {
            return extendRaw((Rows) c, new int[] {0}, 0).length;
        } catch (RuntimeException e) {
            model.close();
            throw new IllegalStateException(version.key() + ": the model does not run as a GPT-2-style decoder with "
                    + "a cache (forward(input_ids, position_ids, attention_mask, past_key_values) -> (logits, "
                    + "present)) with layers=" + settings.layers() + ", heads=" + settings.heads() + ", head_dim="
                    + settings.headDim() + " from model.yaml: " + e.getMessage(), e);
        }
    }

    public String device() {
        return device.toString();
    }

    @Override
    public int vocabularySize() {
        return vocabulary;
    }

    @Override
    public int contextLength() {
        return settings.contextLength();
    }

    @Override
    public long cacheBytesPerToken() {
        return settings.cacheBytesPerToken();
    }

    /** Padding columns a batch of {@code columns} keeps before they are cut. */
    static int trimAt(int columns) {
        return 16 + columns / 8;
    }

    @Override
    public long worstCaseBytes(int rows, int length) {
        // A row of `length` tokens plus its dummy column; padding stays below trimAt(columns), so columns * 7/8 <=
        // 16 + length + 1.
        long columns = (8L * (length + 17)) / 7 + 1;
        return rows * columns * cacheBytesPerToken();
    }

    @Override
    public Cache newCache() {
        return new Rows((PtNDManager) model.getNDManager().newSubManager(device), settings.layers());
    }

    /** The keys and values of some rows: per layer, [rows, heads, columns, head_dim]. */
    private final class Rows implements Cache {
        final PtNDManager manager;
        NDArray[] keys;
        NDArray[] values;
        int[] pad = new int[0];
        int columns;

        Rows(PtNDManager manager, int layers) {
            this.manager = manager;
            this.keys = new NDArray[layers];
            this.values = new NDArray[layers];
        }

        @Override
        public int rows() {
            return pad.length;
        }

        @Override
        public long bytes() {
            return (long) pad.length * columns * cacheBytesPerToken();
        }

        void replace(NDArray[] newKeys, NDArray[] newValues) {
            for (int l = 0; l < keys.length; l++) {
                if (keys[l] != null) {
                    keys[l].close();
                    values[l].close();
                }
                keys[l] = newKeys[l];
                values[l] = newValues[l];
            }
        }

        void clear() {
            replace(new NDArray[keys.length], new NDArray[keys.length]);
            pad = new int[0];
            columns = 0;
        }

        @Override
        public void close() {
            manager.close();
        }
    }

    @Override
    public float[] extend(Cache single, int[] tokens, int start) {
        return extendRaw((Rows) single, tokens, start);
    }

    private float[] extendRaw(Rows c, int[] tokens, int start) {
        if (c.rows() > 1) {
            throw new IllegalArgumentException("extend runs one sequence, got " + c.rows() + " rows");
        }
        if (c.rows() == 0) {
            // The dummy column: a traced graph needs a past; its mask is 0, so it changes nothing.
            Shape shape = new Shape(1, settings.heads(), 1, settings.headDim());
            NDArray[] k = new NDArray[settings.layers()];
            NDArray[] v = new NDArray[settings.layers()];
            for (int l = 0; l < k.length; l++) {
                k[l] = c.manager.zeros(shape, DataType.FLOAT32);
                v[l] = c.manager.zeros(shape, DataType.FLOAT32);
            }
            c.replace(k, v);
            c.pad = new int[] {1};
            c.columns = 1;
        }
        int n = tokens.length;
        long[] ids = new long[n];
        long[] positions = new long[n];
        for (int i = 0; i < n; i++) {
            ids[i] = tokens[i];
            positions[i] = start + i;
        }
        float[] logits = forward(c, ids, positions, n);
        // Only the last position's logits: the next token follows it.
        return Arrays.copyOfRange(logits, (n - 1) * vocabulary(logits, n), n * vocabulary(logits, n));
    }

    private static int vocabulary(float[] logits, int positions) {
        return logits.length / positions;
    }

    @Override
    public float[] step(Cache batch, int[] tokens, int[] positions) {
        Rows c = (Rows) batch;
        if (tokens.length != c.rows()) {
            throw new IllegalArgumentException(tokens.length + " tokens for a batch of " + c.rows() + " rows");
        }
        long[] ids = new long[tokens.length];
        long[] pos = new long[tokens.length];
        for (int r = 0; r < tokens.length; r++) {
            ids[r] = tokens[r];
            pos[r] = positions[r];
        }
        return forward(c, ids, pos, 1);
    }

    /**
     * One forward pass of {@code rows × n} new tokens on top of the cache, which takes the presents; returns the
     * logits of every new position, row after row.
     */
    private float[] forward(Rows c, long[] ids, long[] positions, int n) {
        int rows = c.rows();
        int total = c.columns + n;
        long[] mask = new long[rows * total];
        for (int r = 0; r < rows; r++) {
            Arrays.fill(mask, r * total + c.pad[r], (r + 1) * total, 1L);
        }
        try (PtNDManager step = (PtNDManager) c.manager.newSubManager()) {
            PtNDArray inputIds = step.create(LongBuffer.wrap(ids), new Shape(rows, n), DataType.INT64);
            PtNDArray positionIds = step.create(LongBuffer.wrap(positions), new Shape(rows, n), DataType.INT64);
            PtNDArray attention = step.create(LongBuffer.wrap(mask), new Shape(rows, total), DataType.INT64);
            int layers = settings.layers();
            IValue[] pairs = new IValue[layers];
            IValue[] owned = new IValue[3 + 3 * layers];
            int o = 0;
            for (int l = 0; l < layers; l++) {
                IValue k = IValue.from((PtNDArray) c.keys[l]);
                IValue v = IValue.from((PtNDArray) c.values[l]);
                pairs[l] = IValue.tupleFrom(k, v);
                owned[o++] = k;
                owned[o++] = v;
                owned[o++] = pairs[l];
            }
            IValue idsValue = IValue.from(inputIds);
            IValue posValue = IValue.from(positionIds);
            IValue maskValue = IValue.from(attention);
            IValue past = IValue.tupleFrom(pairs);
            owned[o++] = idsValue;
            owned[o++] = posValue;
            owned[o] = maskValue;
            IValue out = block.forward(idsValue, posValue, maskValue, past);
            try {
                IValue[] parts = out.toIValueTuple();
                NDArray logits = parts[0].toTensor(step);
                IValue[] present = parts[1].toIValueTuple();
                NDArray[] newKeys = new NDArray[layers];
                NDArray[] newValues = new NDArray[layers];
                for (int l = 0; l < layers; l++) {
                    IValue[] kv = present[l].toIValueTuple();
                    newKeys[l] = kv[0].toTensor(c.manager);
                    newValues[l] = kv[1].toTensor(c.manager);
                    for (IValue x : kv) {
                        x.close();
                    }
                    present[l].close();
                }
                parts[0].close();
                parts[1].close();
                c.replace(newKeys, newValues);
                c.columns = total;
                float[] values = logits.toFloatArray();
                if (values.length % (rows * n) != 0) {
                    throw new IllegalStateException("logits of shape " + logits.getShape() + " for " + rows
                            + " rows of " + n + " tokens");
                }
                return values;
            } finally {
                out.close();
                past.close();
                for (IValue x : owned) {
                    x.close();
                }
            }
        }
    }

    @Override
    public void join(Cache batch, List<Cache> others) {
        Rows b = (Rows) batch;
        List<Rows> parts = new ArrayList<>(others.size() + 1);
        if (b.rows() > 0) {
            parts.add(b);
        }
        for (Cache o : others) {
            if (o.rows() > 0) {
                parts.add((Rows) o);
            }
        }
        if (parts.isEmpty() || (parts.size() == 1 && parts.get(0) == b)) {
            return;
        }
        // One copy of the whole batch for all newcomers: each part padded on the left to the widest, then stacked.
        int columns = 0;
        int rows = 0;
        for (Rows p : parts) {
            columns = Math.max(columns, p.columns);
            rows += p.rows();
        }
        int[] pad = new int[rows];
        int at = 0;
        for (Rows p : parts) {
            for (int r = 0; r < p.rows(); r++) {
                pad[at++] = p.pad[r] + columns - p.columns;
            }
        }
        NDArray[] k = new NDArray[b.keys.length];
        NDArray[] v = new NDArray[b.keys.length];
        for (int l = 0; l < k.length; l++) {
            int layer = l;
            k[l] = stackRows(parts, p -> p.keys[layer], columns, b);
            v[l] = stackRows(parts, p -> p.values[layer], columns, b);
        }
        b.replace(k, v);
        b.pad = pad;
        b.columns = columns;
        for (Cache o : others) {
            if (o != b) {
                ((Rows) o).clear();
            }
        }
        trim(b);
    }

    /** One layer's keys (or values) of every part, padded on the left to {@code columns}, in one new array. */
    private static NDArray stackRows(List<Rows> parts, Function<Rows, NDArray> layer, int columns, Rows owner) {
        NDList padded = new NDList(parts.size());
        for (Rows p : parts) {
            padded.add(padLeft(layer.apply(p), columns, owner));
        }
        NDArray joined = padded.size() == 1 ? padded.get(0).duplicate() : NDArrays.concat(padded, 0);
        joined.attach(owner.manager);
        for (int i = 0; i < parts.size(); i++) {
            if (padded.get(i) != layer.apply(parts.get(i))) {
                padded.get(i).close();
            }
        }
        return joined;
    }

    /** {@code a} with zero columns before its own, {@code columns} in all; a new array unless none are missing. */
    private static NDArray padLeft(NDArray a, int columns, Rows owner) {
        long have = a.getShape().get(2);
        if (have == columns) {
            return a;
        }
        Shape s = a.getShape();
        try (NDArray zeros = owner.manager.zeros(new Shape(s.get(0), s.get(1), columns - have, s.get(3)),
                DataType.FLOAT32)) {
            NDArray padded = NDArrays.concat(new NDList(zeros, a), 2);
            padded.attach(owner.manager);
            return padded;
        }
    }

    /** A copy of {@code a[index]}, owned by {@code owner} (the view is released at once). */
    private static NDArray copyOf(NDArray a, NDIndex index, NDManager owner) {
        try (NDArray view = a.get(index)) {
            NDArray copy = view.duplicate();
            copy.attach(owner);
            return copy;
        }
    }

    @Override
    public void retain(Cache batch, int[] rows) {
        Rows c = (Rows) batch;
        if (rows.length == c.rows()) {
            return;
        }
        if (rows.length == 0) {
            c.clear();
            return;
        }
        long[] index = new long[rows.length];
        int[] pad = new int[rows.length];
        for (int i = 0; i < rows.length; i++) {
            index[i] = rows[i];
            pad[i] = c.pad[rows[i]];
        }
        NDArray[] k = new NDArray[c.keys.length];
        NDArray[] v = new NDArray[c.keys.length];
        try (NDArray selection = c.manager.create(index)) {
            for (int l = 0; l < k.length; l++) {
                k[l] = c.keys[l].get(selection);
                v[l] = c.values[l].get(selection);
            }
        }
        c.replace(k, v);
        c.pad = pad;
        trim(c);
    }

    /** Cuts the padding columns every row has, once there are {@link #trimAt} of them. */
    private void trim(Rows c) {
        int common = Integer.MAX_VALUE;
        for (int p : c.pad) {
            common = Math.min(common, p);
        }
        if (c.rows() == 0 || common < trimAt(c.columns)) {
            return;
        }
        NDIndex cut = new NDIndex(":, :, " + common + ":, :");
        NDArray[] k = new NDArray[c.keys.length];
        NDArray[] v = new NDArray[c.keys.length];
        for (int l = 0; l < k.length; l++) {
            k[l] = copyOf(c.keys[l], cut, c.manager);
            v[l] = copyOf(c.values[l], cut, c.manager);
        }
        c.replace(k, v);
        for (int r = 0; r < c.pad.length; r++) {
            c.pad[r] -= common;
        }
        c.columns -= common;
    }

    @Override
    public Cache copyRow(Cache batch, int row) {
        Rows c = (Rows) batch;
        Rows single = (Rows) newCache();
        NDIndex one = new NDIndex(row + ":" + (row + 1));
        NDArray[] k = new NDArray[c.keys.length];
        NDArray[] v = new NDArray[c.keys.length];
        for (int l = 0; l < k.length; l++) {
            k[l] = copyOf(c.keys[l], one, single.manager);
            v[l] = copyOf(c.values[l], one, single.manager);
        }
        single.replace(k, v);
        single.pad = new int[] {c.pad[row]};
        single.columns = c.columns;
        return single;
    }

    @Override
    public void close() {
        model.close();
    }
}
