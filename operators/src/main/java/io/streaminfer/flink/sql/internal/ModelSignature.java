package io.streaminfer.flink.sql.internal;

import java.io.Serializable;
import java.util.List;

/**
 * What a model takes and gives, whichever way it is served: its inputs and outputs, the name it is called by, and
 * the version when known.
 *
 * @param source where the signature came from, for messages (a model.yaml, a server's metadata URL)
 * @param generative whether the model generates text (local mode: its rows run on a generation engine)
 */
public record ModelSignature(String model, String version, List<TensorDecl> inputs, List<TensorDecl> outputs,
        String source, boolean generative) implements Serializable {
    public ModelSignature {
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
    }

    /** A model that answers in one call (every remote one: the server decides how it runs). */
    public ModelSignature(String model, String version, List<TensorDecl> inputs, List<TensorDecl> outputs,
            String source) {
        this(model, version, inputs, outputs, source, false);
    }

    /** {@code name:version}, or the name alone when the version is the server's choice. */
    public String key() {
        return version == null ? model : model + ":" + version;
    }

    public TensorDecl input(String name) {
        return find(inputs, name);
    }

    public TensorDecl output(String name) {
        return find(outputs, name);
    }

    private static TensorDecl find(List<TensorDecl> list, String name) {
        for (TensorDecl t : list) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        return null;
    }
}
