package io.streaminfer.flink.inference;

import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.InferenceResponse;
import io.streaminfer.contract.Tensor;
import io.streaminfer.contract.model.ModelVersion;
import io.streaminfer.runtime.ModelReplica;
import io.streaminfer.runtime.Prediction;
import io.streaminfer.runtime.PreparedRequest;
import io.streaminfer.runtime.Preparers;
import io.streaminfer.runtime.RequestPreparer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.apache.flink.annotation.Internal;

/**
 * For benchmarks only: a text model's replica that runs no model and uses no GPU, but takes, per forward pass, the
 * time an H100 takes for a MiniLM-sized encoder in fp16 at that many rows and that padded length (the curve measured
 * in shared/notes/platform-facts.md), parked, as a thread waiting on a GPU is. Its rows are sorted and cut into passes
 * within the token budget as the real text replica's are, and it answers with embeddings of the model's size whose
 * values are like a real model's (a unit vector's components, ~N(0, 1/dim), written with 8-9 digits each; zeros
 * would write as "0.0" and hide most of a result's cost), so that everything around the model (Kafka, Flink,
 * tokenizing, batching, results) costs what it would with a GPU.
 * {@link #busyNanos()} tells how long the "GPU" was busy. A replica is one device: its workers' passes take turns.
 */
@Internal
public final class GpuStandInReplica implements ModelReplica {
    /** Rows of the measured batches, and their times in ms at padded lengths 16 and 128 (fp16). */
    private static final double[] ROWS = {1, 8, 32, 128, 512, 2048};
    private static final double[] MS_AT_16 = {1.53, 1.50, 1.59, 1.67, 2.52, 7.02};
    private static final double[] MS_AT_128 = {2.81, 2.83, 2.02, 2.12, 7.46, 28.05};

    private static final AtomicLong BUSY_NANOS = new AtomicLong();
    private static final int POOL = 1 << 16;

    /** What rows are cut from: a unit vector's components are ~N(0, 1/dim). */
    private final float[] values;
    private final AtomicLong nextRow = new AtomicLong();

    private final ModelVersion version;
    private final int workers;
    private final int dim;
    private final String outputName;
    private final RequestPreparer preparer;
    private final java.util.concurrent.locks.ReentrantLock device = new java.util.concurrent.locks.ReentrantLock(true);

    GpuStandInReplica(ModelVersion version, int workers) {
        this.version = version;
        this.workers = workers;
        this.dim = (int) version.config().outputs().get(0).dim(1);
        this.values = values(Math.max(POOL, 2 * dim), dim);
        this.outputName = version.config().outputs().get(0).name();
        this.preparer = Preparers.load(version);
    }

    /** Time the stand-ins of this JVM spent "on the GPU", summed over replicas. */
    public static long busyNanos() {
        return BUSY_NANOS.get();
    }

    /** The measured curve, interpolated: log-log in rows, linear in padded length (beyond 128, in proportion). */
    public static double batchMillis(int rows, int paddedLength) {
        double r = Math.max(1, rows);
        int i = 0;
        while (i < ROWS.length - 2 && r > ROWS[i + 1]) {
            i++;
        }
        double t = (Math.log(r) - Math.log(ROWS[i])) / (Math.log(ROWS[i + 1]) - Math.log(ROWS[i]));
        double at16 = Math.exp(Math.log(MS_AT_16[i]) + t * (Math.log(MS_AT_16[i + 1]) - Math.log(MS_AT_16[i])));
        double at128 = Math.exp(Math.log(MS_AT_128[i]) + t * (Math.log(MS_AT_128[i + 1]) - Math.log(MS_AT_128[i])));
        double length = Math.max(16, paddedLength);
        if (length <= 128) {
            return at16 + (at128 - at16) * (length - 16) / (128 - 16);
        }
        return at128 * length / 128;
    }

    @Override
    public ModelVersion model() {
        return version;
    }

    @Override
    public String device() {
        return "gpu stand-in (H100 fp16 curve, no model)";
    }

    @Override
    public int workers() {
        return workers;
    }

    @Override
    public PreparedRequest prepare(InferenceRequest request) {
        return preparer.prepare(request);
    }

    @Override
    public List<Prediction> predictPrepared(List<PreparedRequest> requests, long maxBatchCost) {
        long budget = maxBatchCost > 0 ? maxBatchCost : version.config().maxBatchCost();
        int[] lengths = rowLengths(requests);
        Arrays.sort(lengths);
        int start = 0;
        long nanos = 0;
        while (start < lengths.length) {
            int end = start + 1;
            while (end < lengths.length && end - start + 1 <= version.config().maxBatchSize()
                    && (long) (end - start + 1) * lengths[end] <= budget) {
                end++;
            }
            nanos += (long) (batchMillis(end - start, lengths[end - 1]) * 1e6);
            start = end;
        }
        // One device: the workers' passes take turns on it, as compute-bound kernels of two streams do.
        device.lock();
        try {
            long until = System.nanoTime() + nanos;
            for (long left = nanos; left > 0; left = until - System.nanoTime()) {
                LockSupport.parkNanos(left);
            }
            BUSY_NANOS.addAndGet(nanos);
        } finally {
            device.unlock();
        }
        List<Prediction> out = new ArrayList<>(requests.size());
        for (PreparedRequest r : requests) {
            out.add(Prediction.success(new InferenceResponse(version.name(), version.version(), r.id(), null,
                    List.of(Tensor.ofFloats(outputName, new long[] {r.rows(), dim}, embeddings(r.rows()))))));
        }
        return out;
    }

    /** Rows of values like a real embedding's, taken from a fixed pool at a varying offset (no two alike). */
    private float[] embeddings(int rows) {
        float[] out = new float[rows * dim];
        for (int row = 0; row < rows; row++) {
            int from = (int) ((nextRow.getAndIncrement() * 7919L) % (values.length - dim));
            System.arraycopy(values, from, out, row * dim, dim);
        }
        return out;
    }

    private static float[] values(int n, int dim) {
        SplittableRandom random = new SplittableRandom(dim);
        float[] v = new float[n];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (random.nextGaussian() / Math.sqrt(dim));
        }
        return v;
    }

    private static int[] rowLengths(List<PreparedRequest> requests) {
        int n = 0;
        for (PreparedRequest r : requests) {
            n += r.rows();
        }
        int[] lengths = new int[n];
        int k = 0;
        for (PreparedRequest r : requests) {
            for (int cost : r.rowCosts()) {
                lengths[k++] = cost;
            }
        }
        return lengths;
    }

    @Override
    public void close() {
        preparer.close();
    }
}
