package io.streaminfer.bridge.grpc;

import io.streaminfer.bridge.grpc.internal.ProtoTensors;
import io.streaminfer.bridge.grpc.internal.TritonMessages;
import io.streaminfer.bridge.grpc.proto.ModelConfigRequest;
import io.streaminfer.bridge.grpc.proto.ModelInferRequest;
import io.streaminfer.bridge.grpc.proto.ModelInferResponse;
import io.streaminfer.bridge.grpc.proto.ModelMetadataRequest;
import io.streaminfer.bridge.grpc.proto.ModelMetadataResponse;
import io.streaminfer.bridge.grpc.proto.ModelReadyRequest;
import io.streaminfer.bridge.grpc.proto.ModelReadyResponse;
import io.streaminfer.bridge.grpc.proto.ModelStatisticsRequest;
import io.streaminfer.bridge.grpc.proto.RepositoryIndexRequest;
import io.streaminfer.bridge.grpc.proto.ServerLiveRequest;
import io.streaminfer.bridge.grpc.proto.ServerLiveResponse;
import io.streaminfer.bridge.grpc.proto.ServerMetadataRequest;
import io.streaminfer.bridge.grpc.proto.ServerMetadataResponse;
import io.streaminfer.bridge.grpc.proto.ServerReadyRequest;
import io.streaminfer.bridge.grpc.proto.ServerReadyResponse;
import io.streaminfer.bridge.infer.CheckedRequest;
import io.streaminfer.bridge.infer.Credentials;
import io.streaminfer.bridge.infer.MemoryBudget;
import io.streaminfer.bridge.infer.ModelStats;
import io.streaminfer.bridge.infer.RequestChecks;
import io.streaminfer.bridge.infer.ServerInfo;
import io.streaminfer.bridge.infer.SyncInference;
import io.streaminfer.bridge.infer.TritonShapes;
import io.streaminfer.bridge.kafka.Reply;
import io.streaminfer.bridge.metrics.BridgeMetrics;
import io.streaminfer.bridge.pipeline.Admission;
import io.streaminfer.bridge.pipeline.Refusal;
import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.InferenceException;
import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.InferenceResponse;
import io.streaminfer.contract.OipBinary;
import io.streaminfer.contract.OipJson;
import io.streaminfer.contract.model.ModelConfig;
import io.streaminfer.contract.model.ModelRepository;
import io.streaminfer.contract.model.ModelVersion;
import io.streaminfer.contract.model.TensorSpec;
import io.vertx.core.Handler;
import io.vertx.grpc.common.GrpcMessageDecoder;
import io.vertx.grpc.common.GrpcMessageEncoder;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.common.ServiceName;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerRequest;
import io.vertx.grpc.server.GrpcServerResponse;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code inference.GRPCInferenceService}, the KServe v2 gRPC API, over the same checks, sync calls and Kafka
 * correlation as HTTP: ServerLive, ServerReady, ModelReady, ServerMetadata, ModelMetadata and ModelInfer, and
 * Triton's ModelConfig, ModelStatistics and RepositoryIndex (the same content as HTTP's {@code .../config},
 * {@code .../stats} and {@code /v2/repository/index}, from {@link TritonShapes}). Requests
 * travel on Kafka binary-framed and ask every output back binary, so tensors are never written as JSON. The gRPC
 * deadline is the call's timeout (and the request's deadline in the job); errors map to status codes:
 * bad request → INVALID_ARGUMENT, unknown model → NOT_FOUND, shed or too large → RESOURCE_EXHAUSTED, timeout →
 * DEADLINE_EXCEEDED, not ready, Kafka away or the job unable to run within the deadline → UNAVAILABLE, no or wrong
 * token → UNAUTHENTICATED.
 *
 * <pre>{@code
 * new InferenceService(repository, sync, stats, credentials, budget, metrics, readiness, 30_000, 300_000).bind(grpc);
 * }</pre>
 */
public final class InferenceService {
    private static final Logger LOG = LoggerFactory.getLogger(InferenceService.class);
    static final ServiceName SERVICE = ServiceName.create("inference", "GRPCInferenceService");
    /** Trailer naming the call's job ID, so a caller whose deadline passed can fetch the result later. */
    static final String JOB_ID_TRAILER = "x-job-id";

    private final ModelRepository repository;
    private final RequestChecks checks;
    private final SyncInference sync;
    private final ModelStats stats;
    private final Credentials credentials;
    private final MemoryBudget budget;
    private final BridgeMetrics metrics;
    private final Admission admission;
    private final long defaultTimeoutMs;
    private final long maxTimeoutMs;

    public InferenceService(ModelRepository repository, SyncInference sync, ModelStats stats, Credentials credentials,
            MemoryBudget budget, BridgeMetrics metrics, Admission admission, long defaultTimeoutMs,
            long maxTimeoutMs) {
        this.repository = repository;
        this.checks = new RequestChecks(repository);
        this.sync = sync;
        this.stats = stats;
        this.credentials = credentials;
        this.budget = budget;
        this.metrics = metrics;
        this.admission = admission;
        this.defaultTimeoutMs = defaultTimeoutMs;
        this.maxTimeoutMs = maxTimeoutMs;
    }

    /** Registers the nine methods on a Vert.x gRPC server. */
    public void bind(GrpcServer server) {
        unary(server, "ServerLive", ServerLiveRequest.getDefaultInstance(), false,
                r -> ServerLiveResponse.newBuilder().setLive(true).build());
        unary(server, "ServerReady", ServerReadyRequest.getDefaultInstance(), false,
                r -> ServerReadyResponse.newBuilder().setReady(admission.notReadyReason() == null).build());
        unary(server, "ServerMetadata", ServerMetadataRequest.getDefaultInstance(), false,
                r -> ServerMetadataResponse.newBuilder().setName(ServerInfo.NAME).setVersion(ServerInfo.VERSION)
                        .addAllExtensions(ServerInfo.EXTENSIONS).build());
        unary(server, "ModelReady", ModelReadyRequest.getDefaultInstance(), true, r -> {
            repository.resolve(r.getName(), blankToNull(r.getVersion()));
            return ModelReadyResponse.newBuilder().setReady(admission.notReadyReason() == null).build();
        });
        unary(server, "ModelMetadata", ModelMetadataRequest.getDefaultInstance(), true, this::metadata);
        server.callHandler(method("ModelInfer", ModelInferRequest.getDefaultInstance()), this::infer);
        unary(server, "ModelConfig", ModelConfigRequest.getDefaultInstance(), true, r -> TritonMessages.config(
                TritonShapes.config(repository.resolve(r.getName(), blankToNull(r.getVersion())))));
        // Of this replica's sync calls: success and fail are their whole round trip as the bridge saw it (request
        // in, answer out: Kafka, the job's queue and the model together); queue and compute_infer are the job's own
        // times from its result headers (timing-queue-us, timing-compute-us) where it sent them.
        unary(server, "ModelStatistics", ModelStatisticsRequest.getDefaultInstance(), true,
                r -> TritonMessages.statistics(TritonShapes.statistics(repository, stats, blankToNull(r.getName()),
                        blankToNull(r.getVersion()))));
        // repository_name is not checked: the bridge serves one repository, and Triton's clients send it empty.
        unary(server, "RepositoryIndex", RepositoryIndexRequest.getDefaultInstance(), true,
                r -> TritonMessages.index(TritonShapes.index(repository, admission.notReadyReason(), r.getReady())));
    }

    static <Q extends com.google.protobuf.Message, A extends com.google.protobuf.Message>
            ServiceMethod<Q, A> method(String name, Q prototype) {
        return ServiceMethod.server(SERVICE, name, GrpcMessageEncoder.encoder(), GrpcMessageDecoder.decoder(prototype));
    }

    /** A method answered at once from what this replica knows; {@code authenticated} ones check the token. */
    private <Q extends com.google.protobuf.Message, A extends com.google.protobuf.Message> void unary(
            GrpcServer server, String name, Q prototype, boolean authenticated, Function<Q, A> answer) {
        Handler<GrpcServerRequest<Q, A>> handler = call -> call.handler(message -> {
            if (authenticated && !authorized(call)) {
                return;
            }
            try {
                call.response().end(answer.apply(message));
            } catch (InferenceException e) {
                fail(call.response(), status(e.code()), e.getMessage());
            } catch (RuntimeException e) {
                LOG.warn("gRPC {} failed", name, e);
                fail(call.response(), GrpcStatus.INTERNAL, "internal error: " + e.getMessage());
            }
        });
        server.callHandler(method(name, prototype), handler);
    }

    private ModelMetadataResponse metadata(ModelMetadataRequest r) {
        String version = blankToNull(r.getVersion());
        ModelVersion v = repository.resolve(r.getName(), version);
        ModelConfig c = v.config();
        ModelMetadataResponse.Builder b = ModelMetadataResponse.newBuilder().setName(r.getName())
                .setPlatform(c.platform());
        if (version != null) {
            b.addVersions(v.version());
        } else {
            b.addAllVersions(repository.model(r.getName()).versions());
        }
        for (TensorSpec t : c.inputs()) {
            b.addInputs(tensor(t));
        }
        for (TensorSpec t : c.outputs()) {
            b.addOutputs(tensor(t));
        }
        return b.build();
    }

    private static ModelMetadataResponse.TensorMetadata tensor(TensorSpec t) {
        ModelMetadataResponse.TensorMetadata.Builder b = ModelMetadataResponse.TensorMetadata.newBuilder()
                .setName(t.name()).setDatatype(t.datatype().name());
        for (long d : t.shape()) {
            b.addShape(d);
        }
        return b.build();
    }

    // ---------------------------------------------------------------- ModelInfer

    private void infer(GrpcServerRequest<ModelInferRequest, ModelInferResponse> call) {
        long start = System.nanoTime();
        call.handler(message -> {
            GrpcServerResponse<ModelInferRequest, ModelInferResponse> response = new Counted(call.response(),
                    message.getModelName(), start);
            if (!authorized(call)) {
                return;
            }
            long size = message.getSerializedSize();
            if (!budget.tryReserve(size)) {
                metrics.shed();
                fail(response, GrpcStatus.RESOURCE_EXHAUSTED, "this bridge replica holds " + budget.held()
                        + " bytes of requests (its budget is " + budget.max() + "); retry later");
                return;
            }
            try {
                start(call, response, message, size);
            } catch (RuntimeException e) {
                budget.release(size);
                throw e;
            }
        });
    }

    private void start(GrpcServerRequest<ModelInferRequest, ModelInferResponse> call,
            GrpcServerResponse<ModelInferRequest, ModelInferResponse> response, ModelInferRequest message, long size) {
        CheckedRequest checked;
        long timeoutMs;
        try {
            InferenceRequest request = ProtoTensors.request(message);
            checked = checks.check(message.getModelName(), blankToNull(message.getModelVersion()), request)
                    .withTraceFrom(call.headers());
            long deadline = call.timeout();
            timeoutMs = RequestChecks.timeoutMs(request, deadline, defaultTimeoutMs, maxTimeoutMs);
            if (deadline > 0) {
                timeoutMs = Math.min(timeoutMs, deadline); // the caller stops waiting then, whatever the body says
            }
        } catch (InferenceException e) {
            budget.release(size);
            fail(response, status(e.code()), e.getMessage());
            return;
        }
        // A job that restarts refuses nothing: the call waits for it, up to its deadline (see JobHealth).
        Refusal no = admission.refusal(timeoutMs);
        if (no != null) {
            budget.release(size);
            metrics.refused(no.cause());
            fail(response, GrpcStatus.UNAVAILABLE, no.reason());
            return;
        }
        SyncInference.Call c = sync.start(checked, timeoutMs);
        if (c == null) {
            budget.release(size);
            fail(response, GrpcStatus.RESOURCE_EXHAUSTED, "too many requests in flight on this bridge replica");
            return;
        }
        call.errorHandler(error -> c.cancel()); // cancelled by the client, or the stream broke
        response.trailers().set(JOB_ID_TRAILER, c.jobId());
        c.outcome().thenAccept(o -> {
            budget.release(size);
            answer(response, message, c.jobId(), o);
        });
    }

    private void answer(GrpcServerResponse<ModelInferRequest, ModelInferResponse> response, ModelInferRequest message,
            String jobId, SyncInference.Outcome o) {
        switch (o.kind()) {
            case ANSWERED:
                Reply r = o.reply();
                if (!r.isSuccess()) {
                    fail(response, status(r.errorCode()), r.errorMessage());
                    return;
                }
                try {
                    InferenceResponse result = r.isBinary() ? OipBinary.parseResponse(r.body(), r.headerLength())
                            : OipJson.parseResponse(r.body());
                    response.end(ProtoTensors.response(result, ProtoTensors.rawOutputs(message, result)));
                } catch (RuntimeException e) {
                    LOG.warn("Result of {} could not be turned into a gRPC response", jobId, e);
                    fail(response, GrpcStatus.INTERNAL, "unreadable result: " + e.getMessage());
                }
                break;
            case TIMED_OUT:
                fail(response, GrpcStatus.DEADLINE_EXCEEDED, "no result within " + o.timeoutMs() + " ms, the request's "
                        + "deadline; its final state (the result, or EXPIRED if the job had not started it in time) "
                        + "will be at /v1/jobs/" + jobId);
                break;
            case PUBLISH_FAILED:
                fail(response, GrpcStatus.UNAVAILABLE, "could not hand the request to Kafka: "
                        + o.error().getMessage());
                break;
            case CANCELLED:
                break;
            default:
                fail(response, GrpcStatus.INTERNAL, "internal error: " + o.error().getMessage());
                break;
        }
    }

    // ---------------------------------------------------------------- helpers

    private boolean authorized(GrpcServerRequest<?, ?> call) {
        return authorized(credentials, call);
    }

    /** Whether the call's metadata carries an accepted token; answers UNAUTHENTICATED when not. */
    static boolean authorized(Credentials credentials, GrpcServerRequest<?, ?> call) {
        switch (credentials.check(call.headers().get("authorization"), call.headers().get("x-api-key"))) {
            case MISSING:
                fail(call.response(), GrpcStatus.UNAUTHENTICATED, "authentication required: send metadata "
                        + "'authorization: Bearer <token>' or 'x-api-key: <token>'");
                return false;
            case REJECTED:
                fail(call.response(), GrpcStatus.UNAUTHENTICATED, "the token is not accepted by this bridge");
                return false;
            default:
                return true;
        }
    }

    static GrpcStatus status(ErrorCode code) {
        switch (code) {
            case MALFORMED_REQUEST:
            case INVALID_INPUT:
                return GrpcStatus.INVALID_ARGUMENT;
            case UNKNOWN_MODEL:
            case RESULT_NOT_KEPT:
                return GrpcStatus.NOT_FOUND;
            case PAYLOAD_TOO_LARGE:
            case OVERLOADED:
                return GrpcStatus.RESOURCE_EXHAUSTED;
            case DEADLINE_EXCEEDED:
            case TIMEOUT:
                return GrpcStatus.DEADLINE_EXCEEDED;
            default:
                return GrpcStatus.INTERNAL;
        }
    }

    static void fail(GrpcServerResponse<?, ?> response, GrpcStatus status, String message) {
        response.status(status).statusMessage(message).end();
    }

    /** Counts each ModelInfer call in the bridge's request metrics, by the HTTP status its gRPC status stands for. */
    private final class Counted implements GrpcServerResponse<ModelInferRequest, ModelInferResponse> {
        private final GrpcServerResponse<ModelInferRequest, ModelInferResponse> delegate;
        private final String model;
        private final long start;
        private GrpcStatus status = GrpcStatus.OK;

        Counted(GrpcServerResponse<ModelInferRequest, ModelInferResponse> delegate, String model, long start) {
            this.delegate = delegate;
            this.model = model;
            this.start = start;
        }

        private void count() {
            metrics.request("grpc_infer", model, httpStatus(status), System.nanoTime() - start);
        }

        @Override
        public GrpcServerResponse<ModelInferRequest, ModelInferResponse> status(GrpcStatus s) {
            this.status = s;
            delegate.status(s);
            return this;
        }

        @Override
        public GrpcServerResponse<ModelInferRequest, ModelInferResponse> statusMessage(String m) {
            delegate.statusMessage(m);
            return this;
        }

        @Override
        public io.vertx.core.Future<Void> end() {
            count();
            return delegate.end();
        }

        @Override
        public io.vertx.core.Future<Void> end(ModelInferResponse data) {
            count();
            return delegate.end(data);
        }

        @Override
        public GrpcServerResponse<ModelInferRequest, ModelInferResponse> encoding(String e) {
            delegate.encoding(e);
            return this;
        }

        @Override
        public GrpcServerResponse<ModelInferRequest, ModelInferResponse> format(io.vertx.grpc.common.WireFormat f) {
            delegate.format(f);
            return this;
        }

        @Override
        public java.util.Set<String> acceptedEncodings() {
            return delegate.acceptedEncodings();
        }

        @Override
        public io.vertx.core.MultiMap trailers() {
            return delegate.trailers();
        }

        @Override
        public io.vertx.core.MultiMap headers() {
            return delegate.headers();
        }

        @Override
        public GrpcServerResponse<ModelInferRequest, ModelInferResponse> exceptionHandler(
                Handler<Throwable> handler) {
            delegate.exceptionHandler(handler);
            return this;
        }

        @Override
        public GrpcServerResponse<ModelInferRequest, ModelInferResponse> setWriteQueueMaxSize(int max) {
            delegate.setWriteQueueMaxSize(max);
            return this;
        }

        @Override
        public GrpcServerResponse<ModelInferRequest, ModelInferResponse> drainHandler(Handler<Void> handler) {
            delegate.drainHandler(handler);
            return this;
        }

        @Override
        public io.vertx.core.Future<Void> writeHead() {
            return delegate.writeHead();
        }

        @Override
        public void fail(Throwable t) {
            delegate.fail(t);
        }

        @Override
        public io.vertx.core.Future<Void> write(ModelInferResponse data) {
            return delegate.write(data);
        }

        @Override
        public boolean writeQueueFull() {
            return delegate.writeQueueFull();
        }

        @Override
        public io.vertx.core.Future<Void> writeMessage(io.vertx.grpc.common.GrpcMessage m) {
            return delegate.writeMessage(m);
        }

        @Override
        public io.vertx.core.Future<Void> endMessage(io.vertx.grpc.common.GrpcMessage m) {
            count();
            return delegate.endMessage(m);
        }

        @Override
        public void cancel() {
            delegate.cancel();
        }
    }

    static int httpStatus(GrpcStatus s) {
        switch (s) {
            case OK:
                return 200;
            case INVALID_ARGUMENT:
                return 400;
            case UNAUTHENTICATED:
                return 401;
            case NOT_FOUND:
                return 404;
            case RESOURCE_EXHAUSTED:
                return 429;
            case UNAVAILABLE:
                return 503;
            case DEADLINE_EXCEEDED:
                return 504;
            default:
                return 500;
        }
    }

    static String blankToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }
}
