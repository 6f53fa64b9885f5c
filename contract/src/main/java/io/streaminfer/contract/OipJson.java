package io.streaminfer.contract;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes the Open Inference Protocol JSON shapes: requests, responses and errors. The same bytes travel on
 * Kafka and on HTTP. Parsing failures are {@link InferenceException}s whose messages name the field at fault.
 *
 * <pre>{@code
 * InferenceRequest req = OipJson.parseRequest(bytes);
 * byte[] out = OipJson.writeResponse(response);
 * }</pre>
 */
public final class OipJson {
    /** One mapper for the whole contract: thread-safe once configured. */
    public static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build())
            // Tensors are mostly floats: the Schubfach writer and fast parser are several times faster, same values.
            .enable(com.fasterxml.jackson.core.StreamWriteFeature.USE_FAST_DOUBLE_WRITER)
            .enable(com.fasterxml.jackson.core.StreamReadFeature.USE_FAST_DOUBLE_PARSER)
            .build())
            // A body is one JSON object: anything after it is an error, not something to ignore.
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};

    private OipJson() {}

    // ---------------------------------------------------------------- requests

    /**
     * A request as JSON, or binary-framed (a JSON header, then the tensor bytes its inputs'
     * {@code parameters.binary_data_size} announce; see {@link OipBinary}): the header's end is where its JSON object
     * ends, so the job can read a binary-framed body it already checked without being told the header's length.
     */
    public static InferenceRequest parseRequest(byte[] json) {
        return OipBinary.parseRequest(json, OipBinary.FIND_HEADER_END);
    }

    public static InferenceRequest parseRequest(String json) {
        return parseRequest(json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    static InferenceRequest parseRequest(ObjectNode root, BinarySection binary) {
        String id = optionalText(root, "id", "request");
        Map<String, Object> parameters = optionalParameters(root, "request");
        JsonNode inputsNode = root.get("inputs");
        if (inputsNode == null || inputsNode.isNull()) {
            throw InferenceException.malformed("request has no 'inputs': an OIP request needs "
                    + "\"inputs\": [{\"name\", \"shape\", \"datatype\", \"data\"}]");
        }
        if (!inputsNode.isArray() || inputsNode.isEmpty()) {
            throw InferenceException.malformed("request 'inputs' must be a non-empty array");
        }
        List<Tensor> inputs = new ArrayList<>(inputsNode.size());
        for (int i = 0; i < inputsNode.size(); i++) {
            Tensor t = parseTensor(inputsNode.get(i), "inputs[" + i + "]", binary);
            for (Tensor earlier : inputs) {
                if (earlier.name().equals(t.name())) {
                    throw InferenceException.invalidInput("input '" + t.name() + "' appears more than once");
                }
            }
            inputs.add(t);
        }
        List<RequestedOutput> outputs = null;
        JsonNode outputsNode = root.get("outputs");
        if (outputsNode != null && !outputsNode.isNull()) {
            if (!outputsNode.isArray()) {
                throw InferenceException.malformed("request 'outputs' must be an array of {\"name\"}");
            }
            outputs = new ArrayList<>(outputsNode.size());
            for (int i = 0; i < outputsNode.size(); i++) {
                JsonNode o = outputsNode.get(i);
                if (!o.isObject()) {
                    throw InferenceException.malformed("outputs[" + i + "] must be an object with a 'name'");
                }
                String name = requiredText((ObjectNode) o, "name", "outputs[" + i + "]");
                outputs.add(new RequestedOutput(name, optionalParameters((ObjectNode) o, "outputs[" + i + "]")));
            }
        }
        if (binary != null) {
            binary.finish();
        }
        return new InferenceRequest(id, parameters, inputs, outputs);
    }

    public static byte[] writeRequest(InferenceRequest request) {
        return writeRequest(request, java.util.Set.of());
    }

    /** The request JSON; inputs named in {@code binary} carry {@code binary_data_size} instead of {@code data}. */
    static byte[] writeRequest(InferenceRequest request, java.util.Set<String> binary) {
        return write(g -> {
            g.writeStartObject();
            if (request.id() != null) {
                g.writeStringField("id", request.id());
            }
            writeParameters(g, request.parameters());
            g.writeArrayFieldStart("inputs");
            for (Tensor t : request.inputs()) {
                writeTensor(g, t, binary.contains(t.name()));
            }
            g.writeEndArray();
            if (!request.outputs().isEmpty()) {
                g.writeArrayFieldStart("outputs");
                for (RequestedOutput o : request.outputs()) {
                    g.writeStartObject();
                    g.writeStringField("name", o.name());
                    writeParameters(g, o.parameters());
                    g.writeEndObject();
                }
                g.writeEndArray();
            }
            g.writeEndObject();
        });
    }

    // ---------------------------------------------------------------- responses and errors

    public static byte[] writeResponse(InferenceResponse response) {
        return writeResponse(response, java.util.Set.of());
    }

    /** The response JSON; outputs named in {@code binary} carry {@code binary_data_size} instead of {@code data}. */
    static byte[] writeResponse(InferenceResponse response, java.util.Set<String> binary) {
        return write(g -> {
            g.writeStartObject();
            g.writeStringField("model_name", response.modelName());
            if (response.modelVersion() != null) {
                g.writeStringField("model_version", response.modelVersion());
            }
            if (response.id() != null) {
                g.writeStringField("id", response.id());
            }
            writeParameters(g, response.parameters());
            g.writeArrayFieldStart("outputs");
            for (Tensor t : response.outputs()) {
                writeTensor(g, t, binary.contains(t.name()));
            }
            g.writeEndArray();
            g.writeEndObject();
        });
    }

    /** A response as JSON, or binary-framed (see {@link OipBinary}), the header ending where its JSON object ends. */
    public static InferenceResponse parseResponse(byte[] json) {
        return OipBinary.parseResponse(json, OipBinary.FIND_HEADER_END);
    }

    static InferenceResponse parseResponse(ObjectNode root, BinarySection binary) {
        if (root.has("error")) {
            throw new IllegalArgumentException("not a response but an error: " + root.get("error").asText());
        }
        String modelName = requiredText(root, "model_name", "response");
        JsonNode outputsNode = root.get("outputs");
        if (outputsNode == null || !outputsNode.isArray()) {
            throw InferenceException.malformed("response 'outputs' must be an array");
        }
        List<Tensor> outputs = new ArrayList<>();
        for (int i = 0; i < outputsNode.size(); i++) {
            outputs.add(parseTensor(outputsNode.get(i), "outputs[" + i + "]", binary));
        }
        if (binary != null) {
            binary.finish();
        }
        return new InferenceResponse(modelName, optionalText(root, "model_version", "response"),
                optionalText(root, "id", "response"), optionalParameters(root, "response"), outputs);
    }

    /**
     * An OIP error body, {@code {"error": "..."}}, with two optional fields beside it that OIP clients ignore:
     * {@code id} (whose request failed) and {@code code} (the {@link ErrorCode}, so readers need not parse text).
     */
    public static byte[] writeError(String id, ErrorCode code, String message) {
        return write(g -> {
            g.writeStartObject();
            g.writeStringField("error", message);
            if (id != null) {
                g.writeStringField("id", id);
            }
            if (code != null) {
                g.writeStringField("code", code.name());
            }
            g.writeEndObject();
        });
    }

    /** Whether a result-topic value is an error rather than a response. */
    public static boolean isError(byte[] json) {
        JsonNode root = readTree(json, 0, OipBinary.headerEnd(json));
        return root.isObject() && root.has("error");
    }

    // ---------------------------------------------------------------- tensors

    static Tensor parseTensor(JsonNode node, String where, BinarySection binary) {
        if (node == null || !node.isObject()) {
            throw InferenceException.malformed(where + " must be an object with name, shape, datatype and data");
        }
        ObjectNode o = (ObjectNode) node;
        String name = requiredText(o, "name", where);
        String at = "input '" + name + "'";
        if (where.startsWith("outputs")) {
            at = "output '" + name + "'";
        }
        String datatypeName = requiredText(o, "datatype", at);
        Datatype datatype;
        try {
            datatype = Datatype.parse(datatypeName);
        } catch (IllegalArgumentException e) {
            throw InferenceException.invalidInput(at + ": " + e.getMessage());
        }
        JsonNode shapeNode = o.get("shape");
        if (shapeNode == null || !shapeNode.isArray()) {
            throw InferenceException.malformed(at + " needs 'shape', an array of non-negative integers");
        }
        long[] shape = new long[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.canConvertToExactIntegral() || !d.canConvertToLong() || d.asLong() < 0) {
                throw InferenceException.invalidInput(at + ": shape[" + i + "] must be a non-negative integer, got "
                        + d);
            }
            shape[i] = d.asLong();
        }
        long count;
        try {
            count = Tensor.elementCount(shape);
        } catch (ArithmeticException e) {
            count = Long.MAX_VALUE;
        }
        if (count > Integer.MAX_VALUE - 8) {
            throw new InferenceException(ErrorCode.PAYLOAD_TOO_LARGE, at + ": shape " + Arrays.toString(shape)
                    + " has too many elements");
        }
        Map<String, Object> parameters = optionalParameters(o, at);
        JsonNode dataNode = o.get("data");
        boolean hasData = dataNode != null && !dataNode.isNull();
        Object binarySize = parameters == null ? null : parameters.remove(OipBinary.BINARY_DATA_SIZE);
        Object data;
        if (binarySize != null) {
            if (hasData) {
                throw InferenceException.malformed(at + " has both 'data' and parameters.binary_data_size: send its "
                        + "elements one way");
            }
            if (binary == null) {
                throw InferenceException.malformed(at + " declares parameters.binary_data_size, but no binary data "
                        + "follows the JSON (send the Inference-Header-Content-Length header with the JSON's length)");
            }
            if (!(binarySize instanceof Number) || binarySize instanceof Double || binarySize instanceof Float) {
                throw InferenceException.invalidInput(at + ": parameters.binary_data_size must be an integer, got "
                        + binarySize);
            }
            data = TensorBytes.decode(binary.next(((Number) binarySize).longValue(), at), datatype, (int) count, at);
        } else {
            if (!hasData) {
                throw InferenceException.malformed(at + " has no 'data' (nor parameters.binary_data_size)");
            }
            data = TensorDataReader.read(dataNode, datatype, (int) count, at);
        }
        return new Tensor(name, datatype, shape, data, parameters);
    }

    static void writeTensor(JsonGenerator g, Tensor t) throws IOException {
        writeTensor(g, t, false);
    }

    /** With {@code binary}, the elements are left for the binary section: {@code binary_data_size} says how many bytes. */
    static void writeTensor(JsonGenerator g, Tensor t, boolean binary) throws IOException {
        g.writeStartObject();
        g.writeStringField("name", t.name());
        g.writeStringField("datatype", t.datatype().name());
        long[] shape = t.shape();
        g.writeArrayFieldStart("shape");
        for (long d : shape) {
            g.writeNumber(d);
        }
        g.writeEndArray();
        if (binary) {
            java.util.Map<String, Object> p = new java.util.LinkedHashMap<>(t.parameters());
            p.put(OipBinary.BINARY_DATA_SIZE, TensorBytes.byteSize(t));
            g.writeFieldName("parameters");
            MAPPER.writeValue(g, p);
            g.writeEndObject();
            return;
        }
        if (!t.parameters().isEmpty()) {
            g.writeFieldName("parameters");
            MAPPER.writeValue(g, t.parameters());
        }
        if (t.datatype().storage() == Datatype.Storage.FLOAT && writeFloats(g, t.floats())) {
            g.writeEndObject();
            return;
        }
        g.writeArrayFieldStart("data");
        switch (t.datatype().storage()) {
            case BOOL:
                for (boolean b : t.bools()) {
                    g.writeBoolean(b);
                }
                break;
            case LONG:
                for (long v : t.longs()) {
                    g.writeNumber(v);
                }
                break;
            case FLOAT:
                for (float v : t.floats()) {
                    g.writeNumber(v);
                }
                break;
            case DOUBLE:
                for (double v : t.doubles()) {
                    g.writeNumber(v);
                }
                break;
            case STRING:
                for (String s : t.strings()) {
                    g.writeString(s);
                }
                break;
            default:
                throw new AssertionError(t.datatype());
        }
        g.writeEndArray();
        g.writeEndObject();
    }

    /**
     * {@code "data": [...]} of finite floats as raw JSON, each written by {@link FloatDecimal} (the same text as
     * Jackson's, at a third of the cost); false, having written nothing, when one is NaN or infinite (Jackson writes
     * those as strings).
     */
    private static boolean writeFloats(JsonGenerator g, float[] values) throws IOException {
        for (float v : values) {
            if (!Float.isFinite(v)) {
                return false;
            }
        }
        // In chunks that fit the generator's buffer, so a large tensor needs no text buffer of its size: the first
        // chunk is the value, the others continue it.
        byte[] text = new byte[2 + Math.min(values.length, FLOAT_CHUNK) * (FloatDecimal.MAX_CHARS + 1)];
        RawJsonBytes raw = new RawJsonBytes(text);
        g.writeFieldName("data");
        text[0] = '[';
        int at = 1;
        boolean first = true;
        for (int i = 0; i < values.length; i++) {
            if (i > 0) {
                text[at++] = ',';
            }
            at = FloatDecimal.write(values[i], text, at);
            if (at > text.length - FloatDecimal.MAX_CHARS - 2) {
                writeChunk(g, raw.length(at), first);
                first = false;
                at = 0;
            }
        }
        text[at++] = ']';
        writeChunk(g, raw.length(at), first);
        return true;
    }

    /** Floats per raw chunk: ~4 KB, within the generator's 8,000-byte buffer. */
    private static final int FLOAT_CHUNK = 256;

    private static void writeChunk(JsonGenerator g, RawJsonBytes chunk, boolean first) throws IOException {
        if (first) {
            g.writeRawValue(chunk);
        } else {
            g.writeRaw(chunk);
        }
    }

    // ---------------------------------------------------------------- helpers

    private interface Writer {
        void write(JsonGenerator g) throws IOException;
    }

    private static byte[] write(Writer w) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = MAPPER.getFactory().createGenerator(out)) {
            w.write(g);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static void writeParameters(JsonGenerator g, Map<String, Object> parameters) throws IOException {
        if (!parameters.isEmpty()) {
            g.writeFieldName("parameters");
            MAPPER.writeValue(g, parameters);
        }
    }

    static JsonNode readTree(byte[] json) {
        if (json == null || json.length == 0) {
            throw InferenceException.malformed("empty body: expected an OIP JSON object");
        }
        return readTree(json, 0, json.length);
    }

    /** The JSON of {@code json[offset, offset + length)}, which must be one value and nothing else. */
    static JsonNode readTree(byte[] json, int offset, int length) {
        try {
            return MAPPER.readTree(json, offset, length);
        } catch (JsonProcessingException e) {
            throw malformedJson(e);
        } catch (IOException e) {
            throw InferenceException.malformed("unreadable JSON: " + e.getMessage());
        }
    }

    static InferenceException malformedJson(JsonProcessingException e) {
        // Jackson names the source inside nested locations; the caller only needs line and column.
        String detail = e.getOriginalMessage().replaceAll("\\[Source: [^;]*; (line: \\d+, column: \\d+)\\]", "$1");
        return InferenceException.malformed("malformed JSON: " + detail + locationOf(e));
    }

    private static String locationOf(JsonProcessingException e) {
        return e.getLocation() == null ? ""
                : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
    }

    static ObjectNode readObject(byte[] json, String what) {
        JsonNode root = readTree(json);
        return asObject(root, what);
    }

    static ObjectNode asObject(JsonNode root, String what) {
        if (root == null || !root.isObject()) {
            throw InferenceException.malformed("expected a JSON object for the " + what + ", got "
                    + (root == null ? "nothing" : root.getNodeType().name().toLowerCase(java.util.Locale.ROOT)));
        }
        return (ObjectNode) root;
    }

    private static String requiredText(ObjectNode o, String field, String where) {
        JsonNode n = o.get(field);
        if (n == null || n.isNull()) {
            throw InferenceException.malformed(where + " has no '" + field + "'");
        }
        if (!n.isTextual()) {
            throw InferenceException.malformed(where + ": '" + field + "' must be a string, got " + n);
        }
        return n.textValue();
    }

    private static String optionalText(ObjectNode o, String field, String where) {
        JsonNode n = o.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isTextual()) {
            throw InferenceException.malformed(where + ": '" + field + "' must be a string, got " + n);
        }
        return n.textValue();
    }

    private static Map<String, Object> optionalParameters(ObjectNode o, String where) {
        JsonNode n = o.get("parameters");
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isObject()) {
            throw InferenceException.malformed(where + ": 'parameters' must be an object");
        }
        Map<String, Object> map = MAPPER.convertValue(n, MAP);
        for (Iterator<Map.Entry<String, Object>> it = map.entrySet().iterator(); it.hasNext(); ) {
            if (it.next().getValue() == null) {
                it.remove(); // Map.copyOf refuses nulls; a null parameter means "not set".
            }
        }
        return map;
    }
}
