package io.streaminfer.contract.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** What the runtime does around the TorchScript module. */
public enum ModelKind {
    /** Text in (BYTES), tokenizer, encoder, mean pooling, L2 normalisation; FP32 [n, dim] out. */
    TEXT_EMBEDDING("text-embedding"),
    /** OIP tensors mapped positionally onto the module's inputs and outputs. */
    TENSOR("tensor"),
    /**
     * Not a model but a workflow of models ({@link GraphSpec}): its version folders hold {@code graph.yaml}, whose
     * steps run models of the repository; addressed, versioned and validated like a model.
     */
    GRAPH("graph"),
    /**
     * A decoder-only language model with a key/value cache ({@link GenerationSettings}): text in, generated text
     * out, decoded step by step with continuous batching; OIP input {@code text_input}, output {@code text_output}.
     */
    GENERATIVE("generative");

    private final String yamlName;

    ModelKind(String yamlName) {
        this.yamlName = yamlName;
    }

    @JsonValue
    public String yamlName() {
        return yamlName;
    }

    @JsonCreator
    public static ModelKind parse(String name) {
        for (ModelKind k : values()) {
            if (k.yamlName.equals(name)) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown model kind '" + name
                + "'; expected text-embedding, tensor, generative or graph");
    }
}
