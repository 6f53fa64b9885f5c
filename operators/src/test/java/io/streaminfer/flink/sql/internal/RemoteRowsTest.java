package io.streaminfer.flink.sql.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.InferenceResponse;
import io.streaminfer.contract.OipJson;
import io.streaminfer.contract.Tensor;
import io.streaminfer.runtime.Prediction;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The remote mode's call logic against a scripted HTTP server on loopback (a stand-in server: this is about
 * retries, halving and splitting, not the model): transient answers are retried, a rejected batch is halved until
 * the bad row fails alone, the rows of a multi-row answer get their own slices.
 */
class RemoteRowsTest {
    HttpServer server;
    final ConcurrentLinkedQueue<Integer> batchSizes = new ConcurrentLinkedQueue<>();

    /** Starts a server whose answer to each POSTed request is (status, headers, body). */
    String serve(Function<InferenceRequest, Object[]> answer) throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v2/models/echo/infer", ex -> {
            InferenceRequest req = OipJson.parseRequest(ex.getRequestBody().readAllBytes());
            batchSizes.add((int) req.rows());
            Object[] a = answer.apply(req);
            @SuppressWarnings("unchecked")
            Map<String, String> headers = (Map<String, String>) a[1];
            headers.forEach((k, v) -> ex.getResponseHeaders().add(k, v));
            byte[] body = (byte[]) a[2];
            ex.sendResponseHeaders((Integer) a[0], body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.start();
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/v2/models/echo/infer";
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    /** Doubles each row's value: output "y" FP32 [n, 1]. */
    static Object[] doubled(InferenceRequest req) {
        float[] x = req.input("x").floats();
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = 2 * x[i];
        }
        return ok(new InferenceResponse("echo", "1", req.id(), null, List.of(Tensor.ofFloats("y",
                new long[] {x.length, 1}, y))));
    }

    static Object[] ok(InferenceResponse r) {
        return new Object[] {200, Map.of("Content-Type", "application/json"), OipJson.writeResponse(r)};
    }

    static Object[] status(int code, Map<String, String> headers, String error) {
        return new Object[] {code, headers, OipJson.writeError(null, null, error)};
    }

    static List<RemoteRows.Row> rows(float... values) {
        List<RemoteRows.Row> out = new ArrayList<>();
        for (int i = 0; i < values.length; i++) {
            out.add(new RemoteRows.Row(new InferenceRequest("r" + i, List.of(Tensor.ofFloats("x", new long[] {1, 1},
                    new float[] {values[i]}))), Long.MAX_VALUE));
        }
        return out;
    }

    static RemoteRows.Executor executor(String url, int attempts) {
        return new RemoteRows.Executor(new OipHttpClient(2_000, attempts, 1, 5, null), url);
    }

    @Test
    void rowsShareOneRequestAndGetTheirOwnSlices() throws Exception {
        String url = serve(RemoteRowsTest::doubled);
        List<Prediction> out = executor(url, 1).run(rows(1, 2, 3));
        assertThat(batchSizes).containsExactly(3);
        for (int i = 0; i < 3; i++) {
            assertThat(out.get(i).isSuccess()).isTrue();
            assertThat(out.get(i).response().id()).isEqualTo("r" + i);
            assertThat(out.get(i).response().output("y").shape()).containsExactly(1, 1);
            assertThat(out.get(i).response().output("y").floats()).containsExactly(2f * (i + 1));
        }
    }

    @Test
    void transientAnswersAreRetried() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        String url = serve(req -> switch (calls.incrementAndGet()) {
            case 1 -> status(503, Map.of(), "warming up");
            case 2 -> status(429, Map.of("Retry-After", "0"), "busy");
            default -> doubled(req);
        });
        List<Prediction> out = executor(url, 3).run(rows(1, 2));
        assertThat(out).allMatch(Prediction::isSuccess);
        assertThat(calls.get()).isEqualTo(3);
    }

    @Test
    void retriesEndWithTheLastReason() throws Exception {
        String url = serve(req -> status(503, Map.of(), "down for maintenance"));
        List<Prediction> out = executor(url, 2).run(rows(1));
        assertThat(out.get(0).errorCode()).isEqualTo(ErrorCode.INTERNAL);
        assertThat(out.get(0).error()).contains("HTTP 503").contains("after 2 attempt(s)")
                .contains("down for maintenance");
    }

    @Test
    void aRejectedBatchIsHalvedUntilTheBadRowFailsAlone() throws Exception {
        String url = serve(req -> {
            for (float v : req.input("x").floats()) {
                if (v < 0) {
                    return status(400, Map.of(), "input 'x' must be >= 0, got " + v);
                }
            }
            return doubled(req);
        });
        List<Prediction> out = executor(url, 1).run(rows(1, 2, -3, 4, 5, 6, 7, 8));
        for (int i = 0; i < 8; i++) {
            if (i == 2) {
                assertThat(out.get(i).errorCode()).isEqualTo(ErrorCode.INVALID_INPUT);
                assertThat(out.get(i).error()).isEqualTo("the server answered HTTP 400: input 'x' must be >= 0, "
                        + "got -3.0");
            } else {
                assertThat(out.get(i).isSuccess()).as("row %s", i).isTrue();
                assertThat(out.get(i).response().output("y").floats()).containsExactly(2f * (i + 1));
            }
        }
        assertThat(batchSizes).containsExactly(8, 4, 2, 2, 1, 1, 4);
    }

    @Test
    void rowsOfOtherShapesGoInTheirOwnRequest() throws Exception {
        String url = serve(req -> ok(new InferenceResponse("echo", "1", req.id(), null, List.of(Tensor.ofFloats("y",
                new long[] {req.rows(), 1}, new float[(int) req.rows()])))));
        List<RemoteRows.Row> batch = rows(1, 2);
        batch.add(new RemoteRows.Row(new InferenceRequest("wide", List.of(Tensor.ofFloats("x", new long[] {1, 2},
                new float[] {1, 2}))), Long.MAX_VALUE));
        List<Prediction> out = executor(url, 1).run(batch);
        assertThat(out).allMatch(Prediction::isSuccess);
        assertThat(batchSizes).containsExactly(2, 1);
    }

    @Test
    void anUnreachableServerFailsTheRowsWithTheReason() throws Exception {
        String url = serve(RemoteRowsTest::doubled);
        server.stop(0);
        server = null;
        List<Prediction> out = executor(url, 2).run(rows(1));
        assertThat(out.get(0).errorCode()).isEqualTo(ErrorCode.INTERNAL);
        assertThat(out.get(0).error()).contains("cannot reach " + url).contains("after 2 attempt(s)");
    }

    @Test
    void aResponseWithoutOneEntryPerRowIsAModelError() throws Exception {
        String url = serve(req -> ok(new InferenceResponse("echo", "1", req.id(), null, List.of(Tensor.ofFloats("y",
                new long[] {1, 1}, new float[] {0})))));
        List<Prediction> out = executor(url, 1).run(rows(1, 2));
        assertThat(out).allMatch(p -> p.errorCode() == ErrorCode.MODEL_ERROR);
        assertThat(out.get(0).error()).contains("its first dimension must be 2");
        assertThat(new String(OipJson.writeError(null, null, "x"), StandardCharsets.UTF_8)).contains("x");
    }
}
