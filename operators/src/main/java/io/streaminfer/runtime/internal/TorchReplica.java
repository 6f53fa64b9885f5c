package io.streaminfer.runtime.internal;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.translate.NoopTranslator;
import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.InferenceException;
import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.InferenceResponse;
import io.streaminfer.contract.RequestedOutput;
import io.streaminfer.contract.Tensor;
import io.streaminfer.contract.model.DeviceSpec;
import io.streaminfer.contract.model.ModelConfig;
import io.streaminfer.contract.model.ModelVersion;
import io.streaminfer.contract.model.RequestValidator;
import io.streaminfer.runtime.ModelReplica;
import io.streaminfer.runtime.Prediction;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every TorchScript replica shares: loading, a pool of predictors (one per worker: DJL predictors are not
 * meant to be shared between threads), per-request validation, splitting by {@code max_batch_size}, and turning
 * outputs into OIP responses. Subclasses only say how a batch of valid requests becomes model inputs and outputs.
 */
abstract class TorchReplica implements ModelReplica {
    private static final Logger LOG = LoggerFactory.getLogger(TorchReplica.class);

    protected final ModelVersion version;
    protected final ModelConfig config;
    protected final Device device;
    protected final Model model;
    private final int workers;
    private final BlockingQueue<Predictor<NDList, NDList>> predictors;
    private final List<Predictor<NDList, NDList>> allPredictors = new ArrayList<>();

    TorchReplica(ModelVersion version, DeviceSpec deviceSpec, int workers) {
        this.version = version;
        this.config = version.config();
        this.workers = workers;
        Engine engine = TorchEngine.get(config.threads());
        this.device = TorchEngine.resolve(deviceSpec, engine);
        this.model = Model.newInstance(version.name(), device, "PyTorch");
        try {
            String file = config.modelFile();
            String prefix = file.endsWith(".pt") ? file.substring(0, file.length() - 3) : file;
            // mapLocation: a module traced on one device loads onto this replica's device.
            model.load(version.directory(), prefix, Map.of("mapLocation", "true"));
        } catch (IOException | MalformedModelException | RuntimeException e) {
            model.close();
            throw new IllegalStateException("cannot load model " + version.key() + " from " + version.modelFile()
                    + ": " + e.getMessage(), e);
        }
        this.predictors = new ArrayBlockingQueue<>(workers);
        for (int i = 0; i < workers; i++) {
            Predictor<NDList, NDList> p = model.newPredictor(new NoopTranslator());
            allPredictors.add(p);
            predictors.add(p);
        }
    }

    @Override
    public ModelVersion model() {
        return version;
    }

    @Override
    public String device() {
        return device.toString();
    }

    @Override
    public int workers() {
        return workers;
    }

    /** Kind-specific checks beyond the declared signature; throws INVALID_INPUT. */
    protected void check(InferenceRequest request) {}

    /**
     * Runs valid requests whose rows fit one model call and returns, per request, its outputs in the order of
     * {@link ModelConfig#outputs()}. Native memory must be released before returning.
     */
    protected abstract List<List<Tensor>> forward(Predictor<NDList, NDList> predictor, NDManager manager,
            List<InferenceRequest> requests, int[] rows) throws Exception;

    @Override
    public List<Prediction> predictBatch(List<InferenceRequest> requests) {
        Prediction[] out = new Prediction[requests.size()];
        int[] rows = new int[requests.size()];
        List<Integer> chunk = new ArrayList<>();
        int chunkRows = 0;
        for (int i = 0; i < requests.size(); i++) {
            InferenceRequest r = requests.get(i);
            try {
                rows[i] = RequestValidator.validate(r, config);
                check(r);
            } catch (InferenceException e) {
                out[i] = Prediction.failure(e);
                continue;
            } catch (RuntimeException e) {
                out[i] = Prediction.failure(ErrorCode.INVALID_INPUT, "invalid request: " + e.getMessage());
                continue;
            }
            if (chunkRows + rows[i] > config.maxBatchSize() && !chunk.isEmpty()) {
                run(requests, rows, chunk, out);
                chunk.clear();
                chunkRows = 0;
            }
            chunk.add(i);
            chunkRows += rows[i];
        }
        if (!chunk.isEmpty()) {
            run(requests, rows, chunk, out);
        }
        return List.of(out);
    }

    private void run(List<InferenceRequest> all, int[] allRows, List<Integer> idx, Prediction[] out) {
        List<InferenceRequest> batch = new ArrayList<>(idx.size());
        int[] rows = new int[idx.size()];
        for (int k = 0; k < idx.size(); k++) {
            batch.add(all.get(idx.get(k)));
            rows[k] = allRows[idx.get(k)];
        }
        Predictor<NDList, NDList> predictor = borrow();
        try (NDManager manager = model.getNDManager().newSubManager(device)) {
            List<List<Tensor>> outputs = forward(predictor, manager, batch, rows);
            for (int k = 0; k < idx.size(); k++) {
                out[idx.get(k)] = Prediction.success(respond(batch.get(k), outputs.get(k)));
            }
        } catch (InferenceException e) {
            for (Integer i : idx) {
                out[i] = Prediction.failure(e);
            }
        } catch (Exception e) {
            String message = "model " + version.key() + " failed on a batch of " + idx.size() + " request(s): "
                    + rootMessage(e);
            LOG.warn("{} (first request id {})", message, batch.get(0).id());
            for (Integer i : idx) {
                out[i] = Prediction.failure(ErrorCode.MODEL_ERROR, message);
            }
        } finally {
            predictors.add(predictor);
        }
    }

    private Predictor<NDList, NDList> borrow() {
        try {
            return predictors.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InferenceException(ErrorCode.INTERNAL, "interrupted while waiting for a free predictor");
        }
    }

    private InferenceResponse respond(InferenceRequest request, List<Tensor> outputs) {
        List<Tensor> chosen = outputs;
        if (!request.outputs().isEmpty()) {
            chosen = new ArrayList<>(request.outputs().size());
            for (RequestedOutput wanted : request.outputs()) {
                for (Tensor t : outputs) {
                    if (t.name().equals(wanted.name())) {
                        chosen.add(t);
                    }
                }
            }
        }
        return new InferenceResponse(version.name(), version.version(), request.id(), null, chosen);
    }

    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage();
        if (m == null) {
            return t.getClass().getSimpleName();
        }
        // TorchScript errors carry a long traceback; its first lines say what happened.
        String[] lines = m.split("\n");
        StringBuilder sb = new StringBuilder();
        for (String line : lines) {
            String s = line.trim();
            if (s.startsWith("RuntimeError:") || s.startsWith("Exception:") || s.startsWith("builtins.")) {
                return s;
            }
            if (sb.length() == 0 && !s.isEmpty()) {
                sb.append(s);
            }
        }
        return sb.toString();
    }

    @Override
    public void close() {
        for (Predictor<NDList, NDList> p : allPredictors) {
            p.close();
        }
        model.close();
    }
}
