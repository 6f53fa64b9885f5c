package io.streaminfer.e2e;

import com.google.protobuf.ByteString;
import io.grpc.MethodDescriptor;
import io.streaminfer.bridge.Bridge;
import io.streaminfer.bridge.grpc.proto.ModelInferRequest;
import io.streaminfer.bridge.grpc.proto.ModelInferResponse;
import io.streaminfer.contract.Tensor;
import io.streaminfer.contract.TensorBytes;
import io.streaminfer.job.bench.CpuMeter;
import io.streaminfer.job.bench.Stats;
import io.streaminfer.job.testing.SyntheticText;
import io.streaminfer.job.testing.EmbeddedKafka;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * JSON over HTTP vs binary tensors over HTTP vs gRPC, through the same bridge, job and models, for the MiniLM
 * embeddings (text in, 384 floats out) and for {@code image-pool} (a 3x224x224 FP32 image in): bytes per request,
 * the bridge's own CPU per request (its threads only: Vert.x, its Kafka producer, its readers), latency at low load
 * and throughput at 64 callers. Everything shares one JVM and its cores. Prints figures; asserts nothing. Run it with
 * {@code deploy/bin/bench-bridge protocols}.
 */
@Command(name = "bench-bridge protocols", mixinStandardHelpOptions = true,
        description = "JSON vs binary HTTP vs gRPC through the bridge: bytes, bridge CPU, latency, throughput.")
public final class ProtocolBenchmark implements Callable<Integer> {
    @Option(names = "--low-load-requests", defaultValue = "100")
    int lowLoadRequests;

    @Option(names = "--pause-ms", defaultValue = "20")
    int pauseMs;

    @Option(names = "--seconds", defaultValue = "8", description = "Measured seconds at 64 callers per case.")
    int seconds;

    @Option(names = "--callers", defaultValue = "64")
    int callers;

    private static final int LIMIT = 8 << 20;
    private final PrintStream out = System.out;
    private final SyntheticText text = new SyntheticText(7);
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .executor(Executors.newFixedThreadPool(2, r -> new Thread(r, "bench-http-client"))).build();

    public static void main(String[] args) {
        System.exit(new CommandLine(new ProtocolBenchmark()).execute(args));
    }

    /** One way of sending one request: returns its status and the bytes sent plus received. */
    private interface Caller {
        CompletableFuture<long[]> call();
    }

    @Override
    public Integer call() throws Exception {
        out.printf("bench-bridge protocols: %d cores, broker, job, models, bridge and load in one JVM%n",
                Runtime.getRuntime().availableProcessors());
        try (EmbeddedKafka kafka = EmbeddedKafka.start(Map.of("message.max.bytes", Integer.toString(LIMIT + 4096)));
                BridgeStack stack = new BridgeStack(kafka, "proto").startJob(c -> c.limits.maxRequestBytes = LIMIT);
                Bridge bridge = stack.startBridge(stack.bridgeYaml("proto-bridge", "callbacks:\n  enabled: false\n"
                        + "http:\n  host: 127.0.0.1\n  port: 0\n  max-body-bytes: " + LIMIT + "\n"
                        + "  max-in-flight: 100000\n"
                        + "kafka:\n  bootstrap-servers: " + kafka.bootstrapServers() + "\n  job-group-id: proto-job\n"
                        + "  properties:\n    max.request.size: " + (LIMIT + 4096) + "\n"))) {
            long until = System.currentTimeMillis() + 120_000;
            while (!bridge.isReady() && System.currentTimeMillis() < until) {
                Thread.sleep(100); // start-up of job and bridge; readiness is polled, nothing else to wait on
            }
            if (!bridge.isReady()) {
                out.println("bridge not ready: " + bridge.notReadyReason());
                return 1;
            }
            try (GrpcClient grpc = new GrpcClient(bridge.grpcPort(), null)) {
                String base = "http://127.0.0.1:" + bridge.port() + "/v2/models/";
                byte[] image = imageBytes();
                List<String[]> rows = new ArrayList<>();
                for (String model : List.of("all-minilm-l6-v2", "image-pool")) {
                    boolean text = model.startsWith("all-minilm");
                    Map<String, Caller> cases = new java.util.LinkedHashMap<>();
                    cases.put("JSON HTTP", () -> postJson(base + model + "/infer", text ? jsonText() : jsonImage(image)));
                    cases.put("binary HTTP", () -> postBinary(base + model + "/infer", text ? binaryText() : binaryImage(image)));
                    cases.put("gRPC", () -> grpcCall(grpc, text ? grpcText(model) : grpcImage(model, image)));
                    for (Map.Entry<String, Caller> c : cases.entrySet()) {
                        rows.add(measure(model, c.getKey(), c.getValue()));
                    }
                }
                out.println();
                out.printf("%-17s %-12s %12s %14s %9s %9s %10s%n", "model", "protocol", "bytes/req",
                        "bridge CPU/req", "p50 ms", "p99 ms", "req/s @" + callers);
                for (String[] r : rows) {
                    out.printf("%-17s %-12s %12s %14s %9s %9s %10s%n", (Object[]) r);
                }
            }
        }
        return 0;
    }

    private String[] measure(String model, String protocol, Caller caller) throws Exception {
        long[] first = caller.call().get();
        if (first[0] != 200) {
            throw new IllegalStateException(model + " over " + protocol + " answered " + first[0]);
        }
        closedLoop(caller, Math.min(callers, 16), 3); // warm-up
        long[] t = new long[lowLoadRequests];
        for (int i = 0; i < lowLoadRequests; i++) {
            long s = System.nanoTime();
            caller.call().get();
            t[i] = System.nanoTime() - s;
            Thread.sleep(pauseMs);
        }
        Stats low = new Stats(t, lowLoadRequests);
        CpuMeter meter = new CpuMeter();
        long[] loop = closedLoop(caller, callers, seconds);
        CpuMeter.Usage u = meter.since();
        long bridgeNanos = 0;
        for (Map.Entry<String, Long> g : u.groups().entrySet()) {
            if (isBridgeThread(g.getKey())) {
                bridgeNanos += g.getValue();
            }
        }
        double rate = loop[0] / (u.wallNanos() / 1e9);
        out.printf("%s over %s: %d requests at %d callers (%d errors), bridge threads %.2f cores%n", model, protocol,
                loop[0], callers, loop[1], (double) bridgeNanos / u.wallNanos());
        return new String[] {model, protocol, Long.toString(first[1]),
                String.format(Locale.ROOT, "%.0f us", bridgeNanos / 1e3 / Math.max(1, loop[0])),
                String.format(Locale.ROOT, "%.1f", low.percentileMs(50)),
                String.format(Locale.ROOT, "%.1f", low.percentileMs(99)), String.format(Locale.ROOT, "%.0f", rate)};
    }

    /** The bridge's threads: its Vert.x event loops (HTTP and gRPC), its Kafka clients and readers. */
    static boolean isBridgeThread(String group) {
        return group.startsWith("vert.x-") || group.contains("| bridge-") || group.equals("reply-router")
                || group.equals("job-view") || group.equals("result-lookup") || group.equals("readiness");
    }

    /** {requests done, errors}. */
    private long[] closedLoop(Caller caller, int n, int secs) throws InterruptedException {
        long end = System.nanoTime() + secs * 1_000_000_000L;
        AtomicLong done = new AtomicLong();
        AtomicInteger errors = new AtomicInteger();
        java.util.concurrent.CountDownLatch finished = new java.util.concurrent.CountDownLatch(n);
        for (int i = 0; i < n; i++) {
            next(caller, end, done, errors, finished);
        }
        finished.await();
        return new long[] {done.get(), errors.get()};
    }

    private void next(Caller caller, long end, AtomicLong done, AtomicInteger errors,
            java.util.concurrent.CountDownLatch finished) {
        if (System.nanoTime() >= end) {
            finished.countDown();
            return;
        }
        caller.call().whenComplete((r, e) -> {
            if (e != null || r[0] != 200) {
                errors.incrementAndGet();
            } else {
                done.incrementAndGet();
            }
            next(caller, end, done, errors, finished);
        });
    }

    // ---------------------------------------------------------------- payloads

    private String sentence() {
        return text.sentence(10);
    }

    private byte[] jsonText() {
        return Http.text("b", sentence()).getBytes(StandardCharsets.UTF_8);
    }

    private byte[][] binaryText() {
        byte[] data = TensorBytes.encode(Tensor.ofStrings("text", sentence()));
        String header = "{\"inputs\":[{\"name\":\"text\",\"shape\":[1],\"datatype\":\"BYTES\",\"parameters\":"
                + "{\"binary_data_size\":" + data.length + "}}],\"parameters\":{\"binary_data_output\":true}}";
        return new byte[][] {header.getBytes(StandardCharsets.UTF_8), data};
    }

    private ModelInferRequest grpcText(String model) {
        return ModelInferRequest.newBuilder().setModelName(model)
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("text").setDatatype("BYTES")
                        .addShape(1))
                .addRawInputContents(ByteString.copyFrom(TensorBytes.encode(Tensor.ofStrings("text", sentence()))))
                .build();
    }

    /** A normalised RGB image, as a client would send it: values k/255. */
    private static byte[] imageBytes() {
        Random r = new Random(3);
        ByteBuffer b = ByteBuffer.allocate(3 * 224 * 224 * 4).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            b.putFloat(r.nextInt(256) / 255f);
        }
        return b.array();
    }

    private static byte[] jsonImage(byte[] image) {
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        StringBuilder s = new StringBuilder(image.length * 3);
        s.append("{\"inputs\":[{\"name\":\"pixels\",\"shape\":[1,3,224,224],\"datatype\":\"FP32\",\"data\":[");
        for (int i = 0; i < image.length / 4; i++) {
            s.append(i == 0 ? "" : ",").append(b.getFloat(i * 4));
        }
        return s.append("]}]}").toString().getBytes(StandardCharsets.UTF_8);
    }

    private static byte[][] binaryImage(byte[] image) {
        String header = "{\"inputs\":[{\"name\":\"pixels\",\"shape\":[1,3,224,224],\"datatype\":\"FP32\","
                + "\"parameters\":{\"binary_data_size\":" + image.length + "}}],\"parameters\":"
                + "{\"binary_data_output\":true}}";
        return new byte[][] {header.getBytes(StandardCharsets.UTF_8), image};
    }

    private static ModelInferRequest grpcImage(String model, byte[] image) {
        return ModelInferRequest.newBuilder().setModelName(model)
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("pixels").setDatatype("FP32")
                        .addShape(1).addShape(3).addShape(224).addShape(224))
                .addRawInputContents(ByteString.copyFrom(image)).build();
    }

    // ---------------------------------------------------------------- transports

    private CompletableFuture<long[]> postJson(String url, byte[] body) {
        return http.sendAsync(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
                        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body))
                        .build(), HttpResponse.BodyHandlers.ofByteArray())
                .thenApply(r -> new long[] {r.statusCode(), body.length + r.body().length});
    }

    private CompletableFuture<long[]> postBinary(String url, byte[][] parts) {
        byte[] body = new byte[parts[0].length + parts[1].length];
        System.arraycopy(parts[0], 0, body, 0, parts[0].length);
        System.arraycopy(parts[1], 0, body, parts[0].length, parts[1].length);
        return http.sendAsync(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
                        .header("Content-Type", "application/octet-stream")
                        .header("Inference-Header-Content-Length", Integer.toString(parts[0].length))
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                        HttpResponse.BodyHandlers.ofByteArray())
                .thenApply(r -> new long[] {r.statusCode(), body.length + r.body().length});
    }

    private static final MethodDescriptor<ModelInferRequest, ModelInferResponse> INFER = GrpcClient.method(
            "ModelInfer", ModelInferRequest.getDefaultInstance(), ModelInferResponse.getDefaultInstance());

    private static CompletableFuture<long[]> grpcCall(GrpcClient grpc, ModelInferRequest request) {
        CompletableFuture<long[]> f = new CompletableFuture<>();
        com.google.common.util.concurrent.ListenableFuture<ModelInferResponse> call = grpc.future(INFER, request);
        call.addListener(() -> {
            try {
                ModelInferResponse r = call.get();
                f.complete(new long[] {200, request.getSerializedSize() + r.getSerializedSize()});
            } catch (Exception e) {
                f.complete(new long[] {500, 0});
            }
        }, Runnable::run);
        return f;
    }
}
