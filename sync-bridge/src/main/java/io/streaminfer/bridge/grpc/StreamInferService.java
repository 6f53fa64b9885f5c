package io.streaminfer.bridge.grpc;

import io.streaminfer.bridge.generate.GenerationCalls;
import io.streaminfer.bridge.generate.GenerationEnd;
import io.streaminfer.bridge.grpc.internal.ProtoTensors;
import io.streaminfer.bridge.grpc.proto.InferParameter;
import io.streaminfer.bridge.grpc.proto.ModelInferRequest;
import io.streaminfer.bridge.grpc.proto.ModelInferResponse;
import io.streaminfer.bridge.grpc.proto.ModelStreamInferResponse;
import io.streaminfer.bridge.infer.CheckedRequest;
import io.streaminfer.bridge.infer.Credentials;
import io.streaminfer.bridge.infer.RequestChecks;
import io.streaminfer.bridge.infer.StreamSlots;
import io.streaminfer.bridge.infer.SyncInference;
import io.streaminfer.bridge.kafka.Reply;
import io.streaminfer.bridge.metrics.BridgeMetrics;
import io.streaminfer.bridge.pipeline.Admission;
import io.streaminfer.bridge.pipeline.Refusal;
import io.streaminfer.contract.GenerationOptions;
import io.streaminfer.contract.InferenceException;
import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.InferenceResponse;
import io.streaminfer.contract.OipBinary;
import io.streaminfer.contract.OipJson;
import io.streaminfer.contract.Tensor;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerRequest;
import io.vertx.grpc.server.GrpcServerResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Triton's {@code ModelStreamInfer}: a bidirectional stream of {@code ModelInferRequest}s, answered as Triton's
 * decoupled models answer: a generative model with one {@code ModelStreamInferResponse} per piece of text (output
 * {@code text_output}, BYTES [1]) and a last one with parameter {@code triton_final_response = true} and the finish
 * parameters; any other model with one final response. A request's error is a response with {@code error_message}
 * (and its {@code id}); the stream goes on. The stream is one of the replica's open streams ({@code
 * streams.max-open}: RESOURCE_EXHAUSTED beyond); a client that cancels it cancels its generations.
 *
 * <pre>{@code
 * new StreamInferService(checks, sync, calls, credentials, slots, metrics, readiness, timeouts).bind(grpc);
 * }</pre>
 */
public final class StreamInferService {
    private static final Logger LOG = LoggerFactory.getLogger(StreamInferService.class);
    /** Triton's parameter on every streamed response: whether it is the request's last. */
    static final String FINAL = "triton_final_response";
    private static final String KIND = "grpc_stream";

    private final RequestChecks checks;
    private final SyncInference sync;
    private final GenerationCalls calls;
    private final Credentials credentials;
    private final StreamSlots slots;
    private final BridgeMetrics metrics;
    private final Admission admission;
    private final Timeouts timeouts;

    /** How long a request waits without a deadline: a one-shot model's, a generation's, and the most. */
    public record Timeouts(long defaultMs, long generationMs, long maxMs) { }

    public StreamInferService(RequestChecks checks, SyncInference sync, GenerationCalls calls, Credentials credentials,
            StreamSlots slots, BridgeMetrics metrics, Admission admission, Timeouts timeouts) {
        this.checks = checks;
        this.sync = sync;
        this.calls = calls;
        this.credentials = credentials;
        this.slots = slots;
        this.metrics = metrics;
        this.admission = admission;
        this.timeouts = timeouts;
    }

    public void bind(GrpcServer server) {
        server.callHandler(InferenceService.method("ModelStreamInfer", ModelInferRequest.getDefaultInstance()),
                this::open);
    }

    private void open(GrpcServerRequest<ModelInferRequest, ModelStreamInferResponse> call) {
        if (!InferenceService.authorized(credentials, call)) {
            return;
        }
        if (!slots.tryOpen()) {
            metrics.streamRefused();
            InferenceService.fail(call.response(), GrpcStatus.RESOURCE_EXHAUSTED, "this bridge replica has "
                    + slots.max() + " streams open, its limit (streams.max-open); retry later");
            return;
        }
        Stream s = new Stream(call);
        call.handler(s::request);
        call.endHandler(v -> s.clientDone());
        call.errorHandler(error -> s.broken());
        call.exceptionHandler(error -> s.broken());
    }

    /** One client's stream; runs on its context. */
    private final class Stream {
        private final GrpcServerRequest<ModelInferRequest, ModelStreamInferResponse> call;
        private final GrpcServerResponse<ModelInferRequest, ModelStreamInferResponse> response;
        /** The requests in flight, by a number of this stream: how to abandon each. */
        private final Map<Integer, Runnable> pending = new HashMap<>();
        private int next;
        private boolean clientDone;
        private boolean ended;

        Stream(GrpcServerRequest<ModelInferRequest, ModelStreamInferResponse> call) {
            this.call = call;
            this.response = call.response();
        }

        void request(ModelInferRequest m) {
            if (ended) {
                return;
            }
            CheckedRequest checked;
            long timeoutMs;
            try {
                InferenceRequest request = ProtoTensors.request(m);
                checked = checks.check(m.getModelName(), InferenceService.blankToNull(m.getModelVersion()), request)
                        .withTraceFrom(call.headers());
                if (checked.isGeneration()) {
                    checked = checks.streaming(checked); // decoupled: its text as it comes
                }
                long deadline = call.timeout();
                timeoutMs = Math.min(timeouts.maxMs(), RequestChecks.timeoutMs(request, deadline,
                        checked.isGeneration() ? timeouts.generationMs() : timeouts.defaultMs(), timeouts.maxMs()));
            } catch (InferenceException e) {
                error(m, e.getMessage());
                return;
            }
            Refusal no = admission.refusal(timeoutMs);
            if (no != null) {
                metrics.refused(no.cause());
                error(m, no.reason());
                return;
            }
            int key = next++;
            if (checked.isGeneration()) {
                generate(key, m, checked, timeoutMs);
            } else {
                infer(key, m, checked, timeoutMs);
            }
        }

        private void generate(int key, ModelInferRequest m, CheckedRequest checked, long timeoutMs) {
            GenerationCalls.Streamed s = calls.stream(checked, timeoutMs, new GenerationCalls.Sink() {
                @Override
                public void delta(String text) {
                    write(m, checked, text, Map.of(FINAL, false));
                }

                @Override
                public void end(GenerationEnd end) {
                    metrics.streamEnded(KIND, end.kind().name().toLowerCase(Locale.ROOT));
                    if (end.succeeded()) {
                        Map<String, Object> p = new LinkedHashMap<>();
                        p.put(FINAL, true);
                        p.put(GenerationOptions.FINISH_REASON, end.finishReason());
                        p.put(GenerationOptions.PROMPT_TOKENS, end.promptTokens());
                        p.put(GenerationOptions.COMPLETION_TOKENS, end.completionTokens());
                        write(m, checked, "", p);
                    } else {
                        error(m, end.kind() == GenerationEnd.Kind.CANCELLED ? "the generation was cancelled"
                                : end.message());
                    }
                    done(key);
                }
            });
            if (!s.ended()) {
                pending.put(key, s::abandon);
            }
        }

        private void infer(int key, ModelInferRequest m, CheckedRequest checked, long timeoutMs) {
            SyncInference.Call c = sync.start(checked, timeoutMs);
            if (c == null) {
                error(m, "too many requests in flight on this bridge replica");
                return;
            }
            pending.put(key, c::cancel);
            c.outcome().thenAccept(o -> {
                if (o.kind() == SyncInference.Kind.ANSWERED && o.reply().isSuccess()) {
                    Reply r = o.reply();
                    InferenceResponse result = r.isBinary() ? OipBinary.parseResponse(r.body(), r.headerLength())
                            : OipJson.parseResponse(r.body());
                    Map<String, Object> p = new LinkedHashMap<>(result.parameters());
                    p.put(FINAL, true);
                    send(ProtoTensors.response(new InferenceResponse(result.modelName(), result.modelVersion(),
                            m.getId(), p, result.outputs()), ProtoTensors.rawOutputs(m, result)), null);
                } else if (o.kind() != SyncInference.Kind.CANCELLED) {
                    error(m, o.kind() == SyncInference.Kind.ANSWERED ? o.reply().errorMessage()
                            : o.kind() + ": " + (o.error() == null ? "" : o.error().getMessage()));
                }
                done(key);
            });
        }

        private void write(ModelInferRequest m, CheckedRequest checked, String text, Map<String, Object> parameters) {
            InferenceResponse r = new InferenceResponse(checked.model(), checked.version().version(), m.getId(),
                    parameters, List.of(Tensor.ofStrings(GenerationOptions.TEXT_OUTPUT, text)));
            send(ProtoTensors.response(r, ProtoTensors.rawOutputs(m, r)), null);
        }

        private void error(ModelInferRequest m, String message) {
            ModelInferResponse.Builder r = ModelInferResponse.newBuilder().setModelName(m.getModelName())
                    .setModelVersion(m.getModelVersion()).setId(m.getId())
                    .putParameters(FINAL, InferParameter.newBuilder().setBoolParam(true).build());
            send(r.build(), message == null ? "failed" : message);
        }

        private void send(ModelInferResponse r, String error) {
            if (ended) {
                return;
            }
            ModelStreamInferResponse.Builder b = ModelStreamInferResponse.newBuilder().setInferResponse(r);
            if (error != null) {
                b.setErrorMessage(error);
            }
            response.write(b.build());
        }

        private void done(int key) {
            pending.remove(key);
            maybeEnd();
        }

        void clientDone() {
            clientDone = true;
            maybeEnd();
        }

        private void maybeEnd() {
            if (clientDone && pending.isEmpty() && !ended) {
                ended = true;
                slots.close();
                metrics.streamEnded(KIND + "_call", "finished");
                response.end();
            }
        }

        /** The client cancelled the call or the connection broke: its generations stop. */
        void broken() {
            if (ended) {
                return;
            }
            ended = true;
            slots.close();
            metrics.streamEnded(KIND + "_call", "client_gone");
            LOG.debug("A ModelStreamInfer stream broke with {} request(s) pending", pending.size());
            new ArrayList<>(pending.values()).forEach(Runnable::run);
            pending.clear();
        }
    }
}
