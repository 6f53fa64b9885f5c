package io.streaminfer.flink.graph;

import io.streaminfer.contract.Tensor;
import io.streaminfer.runtime.TensorsCodec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A graph record's tensors by name (graph inputs by name, step outputs as {@code step.output}), and back. */
final class GraphTensors {
    private GraphTensors() {}

    static Map<String, Tensor> decode(byte[] bytes) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        if (bytes != null) {
            for (Tensor t : TensorsCodec.decode(bytes)) {
                out.put(t.name(), t);
            }
        }
        return out;
    }

    static byte[] encode(Map<String, Tensor> tensors) {
        return TensorsCodec.encode(new ArrayList<>(tensors.values()));
    }

    /** The same tensor under another name. */
    static Tensor renamed(Tensor t, String name) {
        return t.name().equals(name) ? t : new Tensor(name, t.datatype(), t.shape(), t.data());
    }

    /** The first of {@code sources} the record has; null when none. */
    static String firstAvailable(List<String> sources, Map<String, Tensor> tensors) {
        for (String s : sources) {
            if (tensors.containsKey(s)) {
                return s;
            }
        }
        return null;
    }
}
