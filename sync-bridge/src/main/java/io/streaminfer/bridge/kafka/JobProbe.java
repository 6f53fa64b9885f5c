package io.streaminfer.bridge.kafka;

import io.streaminfer.bridge.jobs.JobIds;
import io.streaminfer.contract.Datatype;
import io.streaminfer.contract.model.ModelRepository;
import io.streaminfer.contract.model.TensorSpec;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Proof that the pipeline job consumes, when its offsets cannot tell: the job commits offsets only once records
 * have flowed, so on an empty requests topic a running job and a missing one look the same. The probe sends one
 * small, valid request for a model of the repository through this replica's own reply routing; any answer
 * (success or error) shows the job is reading. Its status and result records are ordinary ones with a job ID
 * starting {@code probe-}.
 */
public final class JobProbe {
    private final RequestPublisher publisher;
    private final ReplyRouter replies;
    private final String model;
    private final byte[] body;

    public JobProbe(RequestPublisher publisher, ReplyRouter replies, ModelRepository repository) {
        this.publisher = publisher;
        this.replies = replies;
        ModelRepository.ModelEntry first = repository.models().stream()
                .min(java.util.Comparator.comparing(ModelRepository.ModelEntry::name))
                .orElseThrow(() -> new IllegalStateException("the model repository has no model"));
        this.model = first.name();
        this.body = sampleRequest(first.config().inputs());
    }

    /** Completes when the job answered, exceptionally if it did not within {@code timeoutMs}. */
    public CompletableFuture<Void> send(long timeoutMs) {
        int partition = replies.nextPartition();
        String jobId = "probe-" + JobIds.sync(partition);
        CompletableFuture<Reply> reply = replies.register(jobId);
        publisher.publish(jobId, body, RequestPublisher.Routing.of(model, null)
                .replyTo(replies.replicaId(), partition)
                .deadline(System.currentTimeMillis() + timeoutMs))
                .whenComplete((ok, error) -> {
                    if (error != null) {
                        reply.completeExceptionally(error);
                    }
                });
        return reply.orTimeout(timeoutMs, TimeUnit.MILLISECONDS)
                .whenComplete((r, e) -> replies.forget(jobId))
                .thenApply(r -> null);
    }

    private static String json(String s) {
        try {
            return io.streaminfer.contract.OipJson.MAPPER.writeValueAsString(s);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** One row of the smallest valid values: variable dimensions 1, text "readiness probe", numbers 1. */
    static byte[] sampleRequest(java.util.List<TensorSpec> inputs) {
        StringBuilder sb = new StringBuilder("{\"id\":\"readiness-probe\",\"inputs\":[");
        for (int i = 0; i < inputs.size(); i++) {
            TensorSpec t = inputs.get(i);
            long count = 1;
            StringBuilder shape = new StringBuilder();
            for (int d = 0; d < t.rank(); d++) {
                long dim = t.dim(d) < 0 ? 1 : t.dim(d);
                count *= dim;
                shape.append(d == 0 ? "" : ",").append(dim);
            }
            String value = t.datatype() == Datatype.BYTES ? "\"readiness probe\""
                    : t.datatype() == Datatype.BOOL ? "false" : "1";
            sb.append(i == 0 ? "" : ",").append("{\"name\":").append(json(t.name())).append(",\"datatype\":\"")
                    .append(t.datatype().name()).append("\",\"shape\":[").append(shape).append("],\"data\":[");
            for (long k = 0; k < count; k++) {
                sb.append(k == 0 ? "" : ",").append(value);
            }
            sb.append("]}");
        }
        return sb.append("]}").toString().getBytes(StandardCharsets.UTF_8);
    }
}
