package io.streaminfer.runtime.internal;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.Tensor;
import io.streaminfer.contract.model.DeviceSpec;
import io.streaminfer.contract.model.ModelVersion;
import io.streaminfer.contract.model.TensorSpec;
import io.streaminfer.runtime.Prediction;
import io.streaminfer.runtime.PreparedRequest;
import io.streaminfer.runtime.RuntimeListener;
import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A user's TorchScript module served without Java: the declared inputs, in order, are the module's positional
 * arguments; its returned tensor (or tuple of tensors) are the declared outputs, in order. Requests are stacked on
 * the first (batch) dimension; requests whose other dimensions differ run in separate calls. A call takes at most
 * {@code max_batch_size} rows and, with {@code max_batch_elements}, that many input elements (rows × a row's
 * elements, the cost a request reports when prepared).
 */
final class TensorReplica extends TorchReplica {
    TensorReplica(ModelVersion version, DeviceSpec device, int workers, RuntimeListener listener) {
        super(version, device, workers, listener);
        preparer(new TensorPreparer(version));
    }

    @Override
    protected void execute(List<PreparedRequest> requests, long maxBatchElements, Prediction[] out) {
        List<Integer> chunk = new ArrayList<>();
        long chunkRows = 0;
        long chunkElements = 0;
        for (int i = 0; i < requests.size(); i++) {
            PreparedRequest r = requests.get(i);
            long elements = (long) r.rows() * r.maxRowCost();
            boolean full = chunkRows + r.rows() > config.maxBatchSize()
                    || (config.maxBatchElements() > 0 && chunkElements + elements > maxBatchElements);
            if (full && !chunk.isEmpty()) {
                runChunk(requests, chunk, out);
                chunk = new ArrayList<>();
                chunkRows = 0;
                chunkElements = 0;
            }
            chunk.add(i);
            chunkRows += r.rows();
            chunkElements += elements;
        }
        if (!chunk.isEmpty()) {
            runChunk(requests, chunk, out);
        }
    }

    private void runChunk(List<PreparedRequest> all, List<Integer> idx, Prediction[] out) {
        List<InferenceRequest> batch = new ArrayList<>(idx.size());
        int[] rows = new int[idx.size()];
        for (int k = 0; k < idx.size(); k++) {
            batch.add(all.get(idx.get(k)).request());
            rows[k] = all.get(idx.get(k)).rows();
        }
        List<List<List<Tensor>>> result = new ArrayList<>(1);
        run(idx, out, batch.get(0).id(), (predictor, manager) -> result.add(forward(predictor, manager, batch, rows)));
        if (result.isEmpty()) {
            return; // the call failed: run() set the failures
        }
        for (int k = 0; k < idx.size(); k++) {
            if (out[idx.get(k)] == null) {
                out[idx.get(k)] = Prediction.success(respond(batch.get(k), result.get(0).get(k)));
            }
        }
    }

    private List<List<Tensor>> forward(Predictor<NDList, NDList> predictor, NDManager manager,
            List<InferenceRequest> requests, int[] rows) throws Exception {
        // Group by the non-batch dimensions of every input: only equal ones can be stacked.
        Map<String, List<Integer>> groups = new LinkedHashMap<>();
        for (int k = 0; k < requests.size(); k++) {
            StringBuilder key = new StringBuilder();
            for (TensorSpec spec : config.inputs()) {
                long[] shape = requests.get(k).input(spec.name()).shape();
                key.append(Arrays.toString(Arrays.copyOfRange(shape, 1, shape.length))).append(';');
            }
            groups.computeIfAbsent(key.toString(), x -> new ArrayList<>()).add(k);
        }
        List<List<Tensor>> result = new ArrayList<>(requests.size());
        for (int k = 0; k < requests.size(); k++) {
            result.add(null);
        }
        for (List<Integer> group : groups.values()) {
            runGroup(predictor, manager, requests, rows, group, result);
        }
        return result;
    }

    private void runGroup(Predictor<NDList, NDList> predictor, NDManager manager, List<InferenceRequest> requests,
            int[] rows, List<Integer> group, List<List<Tensor>> result) throws Exception {
        int totalRows = 0;
        for (int k : group) {
            totalRows += rows[k];
        }
        NDList inputs = new NDList(config.inputs().size());
        for (TensorSpec spec : config.inputs()) {
            long[] shape = requests.get(group.get(0)).input(spec.name()).shape();
            shape[0] = totalRows;
            Object stacked = Array.newInstance(Tensor.arrayClass(spec.datatype()).getComponentType(),
                    (int) Tensor.elementCount(shape));
            int offset = 0;
            for (int k : group) {
                Object data = requests.get(k).input(spec.name()).data();
                int n = Array.getLength(data);
                System.arraycopy(data, 0, stacked, offset, n);
                offset += n;
            }
            inputs.add(NdTensors.create(manager, spec.datatype(), shape, stacked));
        }
        NDList outputs = predictor.predict(inputs);
        if (outputs.size() != config.outputs().size()) {
            throw new IllegalStateException("the module returned " + outputs.size() + " tensor(s) but model.yaml "
                    + "declares " + config.outputs().size() + " output(s) " + config.outputNames());
        }
        for (int o = 0; o < outputs.size(); o++) {
            TensorSpec spec = config.outputs().get(o);
            NDArray array = outputs.get(o);
            long[] shape = array.getShape().getShape();
            if (shape.length == 0 || shape[0] != totalRows) {
                throw new IllegalStateException("output '" + spec.name() + "' has shape " + Arrays.toString(shape)
                        + " but its first dimension must be the batch size " + totalRows);
            }
            Object flat = NdTensors.read(array, spec.datatype());
            int perRow = Array.getLength(flat) / totalRows;
            int offset = 0;
            for (int k : group) {
                long[] mine = shape.clone();
                mine[0] = rows[k];
                Object part = Array.newInstance(flat.getClass().getComponentType(), rows[k] * perRow);
                System.arraycopy(flat, offset, part, 0, rows[k] * perRow);
                offset += rows[k] * perRow;
                List<Tensor> list = result.get(k);
                if (list == null) {
                    list = new ArrayList<>(outputs.size());
                    result.set(k, list);
                }
                list.add(new Tensor(spec.name(), spec.datatype(), mine, part));
            }
        }
    }
}
