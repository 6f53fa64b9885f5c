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
import io.streaminfer.runtime.ModelReplica;
import io.streaminfer.runtime.Prediction;
import io.streaminfer.runtime.PreparedRequest;
import io.streaminfer.runtime.RequestPreparer;
import io.streaminfer.runtime.RuntimeListener;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every TorchScript replica shares: loading, a pool of predictors (one per running call: DJL predictors are not
 * meant to be shared between threads), per-request validation, and turning outputs into OIP responses. Subclasses say
 * how a request is prepared and how prepared requests become model calls.
 */
abstract class TorchReplica implements ModelReplica {
    private static final Logger LOG = LoggerFactory.getLogger(TorchReplica.class);

    protected final ModelVersion version;
    protected final ModelConfig config;
    protected final Device device;
    protected final Model model;
    protected final RuntimeListener listener;
    private final int workers;
    private RequestPreparer preparer;
    private final ConcurrentLinkedQueue<Predictor<NDList, NDList>> idle = new ConcurrentLinkedQueue<>();
    private final List<Predictor<NDList, NDList>> allPredictors = new CopyOnWriteArrayList<>();

    TorchReplica(ModelVersion version, DeviceSpec deviceSpec, int workers, RuntimeListener listener) {
        this.version = version;
        this.config = version.config();
        this.workers = workers;
        this.listener = listener;
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
        for (int i = 0; i < workers; i++) {
            idle.add(newPredictor());
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

    /** The kind's preparer; set once by the subclass's constructor. */
    protected final void preparer(RequestPreparer preparer) {
        this.preparer = preparer;
    }

    @Override
    public final PreparedRequest prepare(InferenceRequest request) {
        return preparer.prepare(request);
    }

    /**
     * Runs prepared requests of this replica, writing one prediction per request into {@code out}; a model failure
     * fails the requests of the call it happened in (see {@link #run}).
     */
    protected abstract void execute(List<PreparedRequest> requests, long maxBatchCost, Prediction[] out);

    @Override
    public List<Prediction> predictPrepared(List<PreparedRequest> requests, long maxBatchCost) {
        Prediction[] out = new Prediction[requests.size()];
        List<PreparedRequest> mine = new ArrayList<>(requests.size());
        List<Integer> index = new ArrayList<>(requests.size());
        for (int i = 0; i < requests.size(); i++) {
            PreparedRequest p = requests.get(i);
            if (!p.modelKey().equals(version.key())) {
                out[i] = Prediction.failure(ErrorCode.INTERNAL, "request " + p.id() + " was prepared for "
                        + p.modelKey() + ", not for " + version.key());
            } else {
                mine.add(p);
                index.add(i);
            }
        }
        if (!mine.isEmpty()) {
            Prediction[] results = new Prediction[mine.size()];
            execute(mine, maxBatchCost > 0 ? maxBatchCost : config.maxBatchCost(), results);
            for (int k = 0; k < results.length; k++) {
                out[index.get(k)] = results[k] != null ? results[k]
                        : Prediction.failure(ErrorCode.INTERNAL, "no outcome was computed for this request");
            }
        }
        return List.of(out);
    }

    /** One model call as the subclass's kind defines it; the predictor and a native-memory scope are provided. */
    @FunctionalInterface
    protected interface Call {
        void run(Predictor<NDList, NDList> predictor, NDManager manager) throws Exception;
    }

    /**
     * Runs one model call on a predictor of its own, inside a native-memory scope that is released before it
     * returns. A failure fails {@code requests} (indexes into {@code out}) with MODEL_ERROR, unless one already has a
     * failure; so a subclass sets successes last, where no call failed.
     */
    protected void run(List<Integer> requests, Prediction[] out, String firstId, Call call) {
        Predictor<NDList, NDList> predictor = borrow();
        try (NDManager manager = model.getNDManager().newSubManager(device)) {
            call.run(predictor, manager);
        } catch (InferenceException e) {
            for (Integer i : requests) {
                if (out[i] == null) {
                    out[i] = Prediction.failure(e);
                }
            }
        } catch (Exception e) {
            String message = "model " + version.key() + " failed on a call for " + requests.size() + " request(s): "
                    + rootMessage(e);
            LOG.warn("{} (first request id {})", message, firstId);
            for (Integer i : requests) {
                if (out[i] == null) {
                    out[i] = Prediction.failure(ErrorCode.MODEL_ERROR, message);
                }
            }
        } finally {
            idle.add(predictor);
        }
    }

    /**
     * A predictor of its own for this call. The pool grows only when more calls run at once than it holds: e.g.
     * while a call the batcher's watchdog gave up on is still stuck in one.
     */
    private Predictor<NDList, NDList> borrow() {
        Predictor<NDList, NDList> p = idle.poll();
        return p != null ? p : newPredictor();
    }

    private Predictor<NDList, NDList> newPredictor() {
        Predictor<NDList, NDList> p = model.newPredictor(new NoopTranslator());
        allPredictors.add(p);
        return p;
    }

    protected InferenceResponse respond(InferenceRequest request, List<Tensor> outputs) {
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
        if (preparer != null) {
            preparer.close();
        }
        for (Predictor<NDList, NDList> p : allPredictors) {
            p.close();
        }
        model.close();
    }
}
