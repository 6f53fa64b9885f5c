package io.streaminfer.e2e;

import com.google.protobuf.Descriptors;
import com.google.protobuf.Message;
import io.grpc.CallOptions;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.streaminfer.bridge.grpc.proto.GrpcPredictV2;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A grpc-java client of the bridge's {@code inference.GRPCInferenceService}, its calls built from the service
 * descriptor that protoc generated from the bridge's own .proto (protoc-gen-grpc-java is not available here, so
 * there is no generated stub; the method names, request and response types all come from the descriptor).
 */
final class GrpcClient implements AutoCloseable {
    static final Descriptors.ServiceDescriptor SERVICE = GrpcPredictV2.getDescriptor()
            .findServiceByName("GRPCInferenceService");

    final ManagedChannel channel;
    private final io.grpc.Channel calls;

    GrpcClient(int port, String token) {
        this(port, token, Map.of());
    }

    /** @param metadata more ASCII metadata sent with every call (e.g. a W3C traceparent) */
    GrpcClient(int port, String token, Map<String, String> metadata) {
        channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext()
                .maxInboundMessageSize(64 << 20).build();
        Metadata headers = new Metadata();
        if (token != null) {
            headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        }
        metadata.forEach((k, v) -> headers.put(Metadata.Key.of(k, Metadata.ASCII_STRING_MARSHALLER), v));
        calls = ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers));
    }

    /** The unary method {@code name}, checked against the request and response types the descriptor names. */
    static <Q extends Message, A extends Message> MethodDescriptor<Q, A> method(String name, Q request, A response) {
        return method(name, request, response, MethodDescriptor.MethodType.UNARY);
    }

    /** A method of any type, checked the same way (and its streaming against the descriptor's). */
    static <Q extends Message, A extends Message> MethodDescriptor<Q, A> method(String name, Q request, A response,
            MethodDescriptor.MethodType type) {
        Descriptors.MethodDescriptor m = SERVICE.findMethodByName(name);
        boolean streams = type == MethodDescriptor.MethodType.BIDI_STREAMING;
        if (m != null && (m.isClientStreaming() != streams || m.isServerStreaming() != streams)) {
            throw new IllegalArgumentException("the .proto's " + name + " is not " + type);
        }
        if (m == null || !m.getInputType().equals(request.getDescriptorForType())
                || !m.getOutputType().equals(response.getDescriptorForType())) {
            throw new IllegalArgumentException("the .proto has no " + name + "(" + request.getDescriptorForType()
                    .getName() + ") returns (" + response.getDescriptorForType().getName() + ")");
        }
        return MethodDescriptor.<Q, A>newBuilder().setType(type)
                .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE.getFullName(), name))
                .setRequestMarshaller(ProtoUtils.marshaller(request))
                .setResponseMarshaller(ProtoUtils.marshaller(response)).build();
    }

    <Q extends Message, A extends Message> A call(MethodDescriptor<Q, A> method, Q request) {
        return ClientCalls.blockingUnaryCall(calls, method, CallOptions.DEFAULT.withDeadlineAfter(90,
                TimeUnit.SECONDS), request);
    }

    <Q extends Message, A extends Message> A call(MethodDescriptor<Q, A> method, Q request, long deadlineMs) {
        return ClientCalls.blockingUnaryCall(calls, method, CallOptions.DEFAULT.withDeadlineAfter(deadlineMs,
                TimeUnit.MILLISECONDS), request);
    }

    <Q extends Message, A extends Message> com.google.common.util.concurrent.ListenableFuture<A> future(
            MethodDescriptor<Q, A> method, Q request) {
        return ClientCalls.futureUnaryCall(calls.newCall(method, CallOptions.DEFAULT.withDeadlineAfter(90,
                TimeUnit.SECONDS)), request);
    }

    /** Opens a bidirectional stream: messages to send go to the returned observer, answers to {@code answers}. */
    <Q extends Message, A extends Message> StreamObserver<Q> bidi(MethodDescriptor<Q, A> method,
            StreamObserver<A> answers) {
        return ClientCalls.asyncBidiStreamingCall(calls.newCall(method, CallOptions.DEFAULT.withDeadlineAfter(120,
                TimeUnit.SECONDS)), answers);
    }

    @Override
    public void close() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
}
