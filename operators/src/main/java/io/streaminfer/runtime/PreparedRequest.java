package io.streaminfer.runtime;

import io.streaminfer.contract.InferenceRequest;
import java.util.Objects;

/**
 * A request checked and measured by the replica that will run it ({@link ModelReplica#prepare}), holding what its
 * model call needs in the replica's own form: for a text model, each row's token ids, so a text is tokenized once
 * and only as far as the model reads it, and the (possibly huge) text itself is not kept.
 *
 * <p>Its cost figures are what a batcher needs: {@link #rows()}, {@link #maxRowCost()} (the longest row's tokens;
 * 1 for tensor models without an element budget) and {@link #realCost()} (the rows' own tokens, before padding).
 */
public final class PreparedRequest {
    private final InferenceRequest request;
    private final int rows;
    private final int maxRowCost;
    private final long realCost;
    private final long bytes;
    private final Object payload;
    private final ModelReplica preparedBy;

    /**
     * For replicas.
     *
     * @param request the request to answer: its id and requested outputs (inputs may be dropped once in payload)
     * @param bytes about what this request holds in memory until answered: its payload and its expected outputs
     * @param payload the replica's own form of the inputs
     */
    public PreparedRequest(InferenceRequest request, int rows, int maxRowCost, long realCost, long bytes,
            Object payload, ModelReplica preparedBy) {
        this.request = Objects.requireNonNull(request, "request");
        this.rows = rows;
        this.maxRowCost = maxRowCost;
        this.realCost = realCost;
        this.bytes = bytes;
        this.payload = payload;
        this.preparedBy = preparedBy;
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

    /** About what this request holds in memory until it is answered: inputs in the replica's form, and outputs. */
    public long bytes() {
        return bytes;
    }

    /** The replica's own form of the inputs; for replicas. */
    public Object payload() {
        return payload;
    }

    /** The replica that prepared it: only that one may run it. */
    public ModelReplica preparedBy() {
        return preparedBy;
    }
}
