package io.streaminfer.runtime;

import io.streaminfer.contract.InferenceRequest;
import java.util.Objects;

/**
 * A request checked and measured by its model version's {@link RequestPreparer}, holding what its model call needs
 * in the model's own form: for a text model, each row's token ids, so a text is tokenized once and only as far as
 * the model reads it, and the (possibly huge) text itself is not kept. Runs on any replica of that model version.
 *
 * <p>Its cost figures are what a batcher needs: {@link #rows()}, {@link #maxRowCost()} (the longest row's tokens;
 * 1 for tensor models without an element budget) and {@link #realCost()} (the rows' own tokens, before padding).
 */
public final class PreparedRequest {
    private final String modelKey;
    private final InferenceRequest request;
    private final int rows;
    private final int maxRowCost;
    private final long realCost;
    private final long bytes;
    private final Object payload;

    /**
     * For preparers and the codec.
     *
     * @param modelKey the model version it was prepared for ({@code name:version})
     * @param request the request to answer: its id and requested outputs (inputs may be dropped once in payload)
     * @param bytes about what this request holds in memory until answered: its payload and its expected outputs
     * @param payload the model's own form of the inputs
     */
    public PreparedRequest(String modelKey, InferenceRequest request, int rows, int maxRowCost, long realCost,
            long bytes, Object payload) {
        this.modelKey = Objects.requireNonNull(modelKey, "modelKey");
        this.request = Objects.requireNonNull(request, "request");
        this.rows = rows;
        this.maxRowCost = maxRowCost;
        this.realCost = realCost;
        this.bytes = bytes;
        this.payload = payload;
    }

    /** The model version it was prepared for, {@code name:version}: only its replicas may run it. */
    public String modelKey() {
        return modelKey;
    }

    public InferenceRequest request() {
        return request;
    }

    public String id() {
        return request.id();
    }

    public int rows() {
        return rows;
    }

    public int maxRowCost() {
        return maxRowCost;
    }

    public long realCost() {
        return realCost;
    }

    /** About what this request holds in memory until it is answered: inputs in the model's form, and outputs. */
    public long bytes() {
        return bytes;
    }

    /** Each row's own cost (a text row's tokens); rows of tensor requests all cost {@link #maxRowCost()}. */
    public int[] rowCosts() {
        if (payload instanceof io.streaminfer.runtime.internal.TextRows text) {
            int[] costs = new int[text.ids().length];
            for (int i = 0; i < costs.length; i++) {
                costs[i] = text.ids()[i].length;
            }
            return costs;
        }
        int[] costs = new int[rows];
        java.util.Arrays.fill(costs, maxRowCost);
        return costs;
    }

    /** The model's own form of the inputs; for replicas and the codec. */
    public Object payload() {
        return payload;
    }

    /** The same request under another ID (the answer echoes it). */
    public PreparedRequest withId(String id) {
        return new PreparedRequest(modelKey, request.withId(id), rows, maxRowCost, realCost, bytes, payload);
    }
}
