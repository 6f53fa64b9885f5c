package io.streaminfer.contract;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The binary tensor data extension of the Open Inference Protocol (Triton's and KServe's), on HTTP and on Kafka: a
 * body is a JSON request or response (the "header"), then the raw bytes of the tensors whose
 * {@code parameters.binary_data_size} says how many bytes each takes, in the order the header lists them (layout:
 * {@link TensorBytes}). The header's length travels beside the body: HTTP header {@code Inference-Header-Content-Length},
 * Kafka header {@value KafkaContract#HEADER_INFERENCE_HEADER_LENGTH}.
 *
 * <p>Which outputs come back binary: {@code outputs[i].parameters.binary_data} (true/false), else the request's
 * {@code parameters.binary_data_output}; a response is binary-framed as soon as one output is.
 *
 * <pre>{@code
 * InferenceRequest req = OipBinary.parseRequest(body, headerLength);        // checks every size
 * OipBinary.Framed out = OipBinary.writeResponse(response, Set.of("embedding"));
 * send(out.body(), out.headerLength());
 * }</pre>
 */
public final class OipBinary {
    /** Request input / response output parameter: this tensor's bytes follow the header, and how many. */
    public static final String BINARY_DATA_SIZE = "binary_data_size";
    /** Requested-output parameter: return this output binary (true) or as JSON (false). */
    public static final String BINARY_DATA = "binary_data";
    /** Request parameter: return every output binary unless its own {@value #BINARY_DATA} says otherwise. */
    public static final String BINARY_DATA_OUTPUT = "binary_data_output";
    /** For {@link #parseRequest}: the header ends where its JSON object ends. */
    public static final int FIND_HEADER_END = -1;

    /** Reads one JSON value and stops there: the bytes after it are the binary section. */
    private static final ObjectReader FIRST_VALUE = OipJson.MAPPER.reader()
            .without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private OipBinary() {}

    /** A body and the length of its JSON header; {@code headerLength == body.length} when nothing is binary. */
    public record Framed(byte[] body, int headerLength) {
        public boolean isBinary() {
            return headerLength < body.length;
        }
    }

    // ---------------------------------------------------------------- requests

    /**
     * A request whose JSON header takes the first {@code headerLength} bytes (or, with {@link #FIND_HEADER_END},
     * ends where its JSON object ends). Every input with {@code binary_data_size} takes its bytes from the binary
     * section, in order; sizes that disagree with the shape, the datatype or the bytes that are there are
     * {@link InferenceException}s (MALFORMED_REQUEST or INVALID_INPUT) that say which.
     */
    public static InferenceRequest parseRequest(byte[] body, int headerLength) {
        Header h = header(body, headerLength, "inference request");
        return OipJson.parseRequest(h.root, h.binary);
    }

    /** A request with every input binary (the bridge's form for gRPC requests on Kafka). */
    public static Framed writeRequest(InferenceRequest request) {
        List<Tensor> inputs = request.inputs();
        Set<String> names = new LinkedHashSet<>();
        for (Tensor t : inputs) {
            names.add(t.name());
        }
        byte[] header = OipJson.writeRequest(request, names);
        return frame(header, inputs, names);
    }

    // ---------------------------------------------------------------- responses

    /** A response whose outputs named in {@code binaryOutputs} travel binary; plain JSON when none does. */
    public static Framed writeResponse(InferenceResponse response, Collection<String> binaryOutputs) {
        Set<String> binary = new LinkedHashSet<>();
        for (Tensor t : response.outputs()) {
            if (binaryOutputs.contains(t.name())) {
                binary.add(t.name());
            }
        }
        byte[] header = OipJson.writeResponse(response, binary);
        return frame(header, response.outputs(), binary);
    }

    public static InferenceResponse parseResponse(byte[] body, int headerLength) {
        Header h = header(body, headerLength, "inference response");
        if (h.root.has("error")) {
            throw new IllegalArgumentException("not a response but an error: " + h.root.get("error").asText());
        }
        return OipJson.parseResponse(h.root, h.binary);
    }

    /**
     * The outputs of {@code modelOutputs} that the request asks back binary: each requested output's
     * {@value #BINARY_DATA}, else the request's {@value #BINARY_DATA_OUTPUT}. Empty: a JSON response.
     *
     * @throws InferenceException INVALID_INPUT when one of these parameters is not a boolean
     */
    public static List<String> binaryOutputs(InferenceRequest request, List<String> modelOutputs) {
        boolean all = flag(request.parameters(), BINARY_DATA_OUTPUT, "parameters");
        List<String> out = new ArrayList<>();
        if (request.outputs().isEmpty()) {
            if (all) {
                out.addAll(modelOutputs);
            }
            return out;
        }
        for (RequestedOutput o : request.outputs()) {
            Map<String, Object> p = o.parameters();
            boolean binary = p.containsKey(BINARY_DATA)
                    ? flag(p, BINARY_DATA, "outputs '" + o.name() + "' parameters") : all;
            if (binary) {
                out.add(o.name());
            }
        }
        return out;
    }

    /** Whether a request's outputs are to come back binary (any of them). */
    public static boolean wantsBinary(InferenceRequest request) {
        if (flag(request.parameters(), BINARY_DATA_OUTPUT, "parameters")) {
            return true;
        }
        for (RequestedOutput o : request.outputs()) {
            if (o.parameters().containsKey(BINARY_DATA) && flag(o.parameters(), BINARY_DATA, "outputs")) {
                return true;
            }
        }
        return false;
    }

    /** Where the first JSON value of a body ends: the length of a binary-framed body's header. */
    static int headerEnd(byte[] body) {
        return firstValue(body).end;
    }

    private record FirstValue(JsonNode root, int end) {}

    /** One pass: the body's first JSON value and the offset right after it. */
    private static FirstValue firstValue(byte[] body) {
        if (body == null || body.length == 0) {
            throw InferenceException.malformed("empty body: expected an OIP JSON object");
        }
        try (JsonParser p = OipJson.MAPPER.getFactory().createParser(body)) {
            JsonNode root = FIRST_VALUE.readTree(p);
            if (root == null) {
                throw InferenceException.malformed("empty body: expected an OIP JSON object");
            }
            return new FirstValue(root, (int) p.currentLocation().getByteOffset());
        } catch (JsonProcessingException e) {
            throw OipJson.malformedJson(e);
        } catch (IOException e) {
            throw InferenceException.malformed("unreadable JSON: " + e.getMessage());
        }
    }

    // ---------------------------------------------------------------- framing

    private record Header(ObjectNode root, BinarySection binary) {}

    private static Header header(byte[] body, int headerLength, String what) {
        if (body == null || body.length == 0) {
            throw InferenceException.malformed("empty body: expected an OIP JSON object");
        }
        if (headerLength == FIND_HEADER_END) {
            return findHeader(body, what);
        }
        if (headerLength < 1 || headerLength > body.length) {
            throw InferenceException.malformed("the JSON header length (Inference-Header-Content-Length) is "
                    + headerLength + " but the body has " + body.length + " bytes");
        }
        ObjectNode root = OipJson.asObject(OipJson.readTree(body, 0, headerLength), what);
        return new Header(root, headerLength < body.length || declaresBinary(root)
                ? new BinarySection(body, headerLength, what) : null);
    }

    /** The header ends where its JSON value ends; what follows is binary data, or only whitespace. */
    private static Header findHeader(byte[] body, String what) {
        FirstValue first = firstValue(body);
        int end = first.end;
        ObjectNode o = OipJson.asObject(first.root, what);
        if (declaresBinary(o)) {
            // The binary section is the last sum-of-sizes bytes: a header padded with whitespace still reads right.
            long declared = declaredBinaryBytes(o);
            long start = body.length - declared;
            if (declared >= 0 && start > end && isWhitespace(body, end, (int) start)) {
                end = (int) start;
            }
            return new Header(o, new BinarySection(body, end, what));
        }
        if (!isWhitespace(body, end, body.length)) {
            throw InferenceException.malformed("malformed JSON: content after the " + what + " object at byte "
                    + end + " (binary data must be announced by the tensors' parameters.binary_data_size)");
        }
        return new Header(o, null);
    }

    private static boolean isWhitespace(byte[] body, int from, int to) {
        for (int i = from; i < to; i++) {
            byte b = body[i];
            if (b != ' ' && b != '\n' && b != '\r' && b != '\t') {
                return false;
            }
        }
        return true;
    }

    /** The sum of the header's binary_data_size values; -1 when one is not a non-negative integer. */
    private static long declaredBinaryBytes(ObjectNode root) {
        long sum = 0;
        for (String field : new String[] {"inputs", "outputs"}) {
            for (JsonNode t : root.path(field)) {
                JsonNode size = t.path("parameters").get(BINARY_DATA_SIZE);
                if (size != null) {
                    if (!size.canConvertToExactIntegral() || size.asLong() < 0) {
                        return -1;
                    }
                    sum += size.asLong();
                }
            }
        }
        return sum;
    }

    private static boolean declaresBinary(ObjectNode root) {
        for (String field : new String[] {"inputs", "outputs"}) {
            JsonNode tensors = root.get(field);
            if (tensors != null && tensors.isArray()) {
                for (JsonNode t : tensors) {
                    if (t.path("parameters").has(BINARY_DATA_SIZE)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    private static Framed frame(byte[] header, List<Tensor> tensors, Set<String> binary) {
        if (binary.isEmpty()) {
            return new Framed(header, header.length);
        }
        long size = header.length;
        for (Tensor t : tensors) {
            if (binary.contains(t.name())) {
                size += TensorBytes.byteSize(t);
            }
        }
        if (size > Integer.MAX_VALUE - 8) {
            throw new InferenceException(ErrorCode.PAYLOAD_TOO_LARGE, "the tensors take " + size
                    + " bytes, more than one message can hold");
        }
        ByteBuffer out = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
        out.put(header);
        for (Tensor t : tensors) {
            if (binary.contains(t.name())) {
                TensorBytes.encode(t, out);
            }
        }
        return new Framed(out.array(), header.length);
    }

    private static boolean flag(Map<String, Object> parameters, String name, String where) {
        Object v = parameters.get(name);
        if (v == null) {
            return false;
        }
        if (!(v instanceof Boolean)) {
            throw InferenceException.invalidInput(where + "." + name + " must be true or false, got " + v);
        }
        return (Boolean) v;
    }
}
