package io.streaminfer.bridge.grpc.internal;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.streaminfer.bridge.grpc.proto.InferParameter;
import io.streaminfer.bridge.grpc.proto.InferTensorContents;
import io.streaminfer.bridge.grpc.proto.ModelInferRequest;
import io.streaminfer.bridge.grpc.proto.ModelInferResponse;
import io.streaminfer.contract.Datatype;
import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.InferenceException;
import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.InferenceResponse;
import io.streaminfer.contract.OipBinary;
import io.streaminfer.contract.RequestedOutput;
import io.streaminfer.contract.Tensor;
import io.streaminfer.contract.TensorBytes;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * KServe v2 gRPC messages to and from the contract's requests and responses. Inputs come as typed
 * {@code contents} or as {@code raw_input_contents} (the binary extension's element layout, {@link TensorBytes});
 * outputs go back raw when the request came raw (or an output is FP16, which has no typed field), else typed.
 */
public final class ProtoTensors {
    private ProtoTensors() {}

    /**
     * The request, asking every output back binary (the bridge reads them into raw or typed contents itself).
     *
     * @throws InferenceException MALFORMED_REQUEST or INVALID_INPUT naming the input at fault
     */
    public static InferenceRequest request(ModelInferRequest m) {
        int raw = m.getRawInputContentsCount();
        if (raw > 0 && raw != m.getInputsCount()) {
            throw InferenceException.malformed("raw_input_contents has " + raw + " entries for " + m.getInputsCount()
                    + " inputs: give one per input, in the order of 'inputs'");
        }
        List<Tensor> inputs = new ArrayList<>(m.getInputsCount());
        for (int i = 0; i < m.getInputsCount(); i++) {
            ModelInferRequest.InferInputTensor in = m.getInputs(i);
            String at = "input '" + in.getName() + "'";
            Datatype datatype = datatype(in.getDatatype(), at);
            long[] shape = shape(in.getShapeList(), at);
            int count = count(shape, at);
            Object data;
            if (raw > 0) {
                if (in.hasContents()) {
                    throw InferenceException.malformed(at + " has 'contents' although the request uses "
                            + "raw_input_contents: use one or the other for all inputs");
                }
                data = TensorBytes.decode(m.getRawInputContents(i).asReadOnlyByteBuffer(), datatype, count, at);
            } else {
                data = typed(in.getContents(), datatype, count, at);
            }
            for (Tensor earlier : inputs) {
                if (earlier.name().equals(in.getName())) {
                    throw InferenceException.invalidInput(at + " appears more than once");
                }
            }
            inputs.add(new Tensor(in.getName(), datatype, shape, data, parameters(in.getParametersMap())));
        }
        if (inputs.isEmpty()) {
            throw InferenceException.malformed("the request has no inputs");
        }
        List<RequestedOutput> outputs = new ArrayList<>();
        for (ModelInferRequest.InferRequestedOutputTensor o : m.getOutputsList()) {
            Map<String, Object> p = parameters(o.getParametersMap());
            p.remove(OipBinary.BINARY_DATA);
            outputs.add(new RequestedOutput(o.getName(), p));
        }
        Map<String, Object> parameters = parameters(m.getParametersMap());
        parameters.put(OipBinary.BINARY_DATA_OUTPUT, true);
        return new InferenceRequest(m.getId().isEmpty() ? null : m.getId(), parameters, inputs,
                outputs.isEmpty() ? null : outputs);
    }

    /** Whether the response should carry raw_output_contents. */
    public static boolean rawOutputs(ModelInferRequest m, InferenceResponse r) {
        if (m.getRawInputContentsCount() > 0) {
            return true;
        }
        for (Tensor t : r.outputs()) {
            if (t.datatype() == Datatype.FP16) {
                return true;
            }
        }
        return false;
    }

    public static ModelInferResponse response(InferenceResponse r, boolean raw) {
        ModelInferResponse.Builder b = ModelInferResponse.newBuilder().setModelName(r.modelName());
        if (r.modelVersion() != null) {
            b.setModelVersion(r.modelVersion());
        }
        if (r.id() != null) {
            b.setId(r.id());
        }
        b.putAllParameters(toProto(r.parameters()));
        for (Tensor t : r.outputs()) {
            ModelInferResponse.InferOutputTensor.Builder o = ModelInferResponse.InferOutputTensor.newBuilder()
                    .setName(t.name()).setDatatype(t.datatype().name()).putAllParameters(toProto(t.parameters()));
            for (long d : t.shape()) {
                o.addShape(d);
            }
            if (raw) {
                b.addRawOutputContents(UnsafeByteOperations.unsafeWrap(TensorBytes.encode(t)));
            } else {
                o.setContents(contents(t));
            }
            b.addOutputs(o);
        }
        return b.build();
    }

    // ---------------------------------------------------------------- tensors

    private static Datatype datatype(String name, String at) {
        try {
            return Datatype.parse(name);
        } catch (IllegalArgumentException e) {
            throw InferenceException.invalidInput(at + ": " + e.getMessage());
        }
    }

    private static long[] shape(List<Long> dims, String at) {
        long[] shape = new long[dims.size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = dims.get(i);
            if (shape[i] < 0) {
                throw InferenceException.invalidInput(at + ": shape[" + i + "] must be a non-negative integer, got "
                        + shape[i]);
            }
        }
        return shape;
    }

    private static int count(long[] shape, String at) {
        long n;
        try {
            n = Tensor.elementCount(shape);
        } catch (ArithmeticException e) {
            n = Long.MAX_VALUE;
        }
        if (n > Integer.MAX_VALUE - 8) {
            throw new InferenceException(ErrorCode.PAYLOAD_TOO_LARGE, at + ": shape " + Arrays.toString(shape)
                    + " has too many elements");
        }
        return (int) n;
    }

    private static Object typed(InferTensorContents c, Datatype d, int count, String at) {
        switch (d) {
            case BOOL:
                check(c.getBoolContentsCount(), count, "bool_contents", at);
                boolean[] bools = new boolean[count];
                for (int i = 0; i < count; i++) {
                    bools[i] = c.getBoolContents(i);
                }
                return bools;
            case INT8:
            case INT16:
            case INT32:
                check(c.getIntContentsCount(), count, "int_contents", at);
                return ranged(c.getIntContentsList(), d, at, false);
            case UINT8:
            case UINT16:
            case UINT32:
                check(c.getUintContentsCount(), count, "uint_contents", at);
                return ranged(c.getUintContentsList(), d, at, true);
            case INT64:
                check(c.getInt64ContentsCount(), count, "int64_contents", at);
                return c.getInt64ContentsList().stream().mapToLong(Long::longValue).toArray();
            case UINT64:
                check(c.getUint64ContentsCount(), count, "uint64_contents", at);
                long[] u = c.getUint64ContentsList().stream().mapToLong(Long::longValue).toArray();
                for (int i = 0; i < u.length; i++) {
                    if (u[i] < 0) {
                        throw InferenceException.invalidInput(at + ": element " + i + " = "
                                + Long.toUnsignedString(u[i]) + " is larger than this server takes for UINT64");
                    }
                }
                return u;
            case FP32:
                check(c.getFp32ContentsCount(), count, "fp32_contents", at);
                float[] f = new float[count];
                for (int i = 0; i < count; i++) {
                    f[i] = c.getFp32Contents(i);
                }
                return f;
            case FP64:
                check(c.getFp64ContentsCount(), count, "fp64_contents", at);
                return c.getFp64ContentsList().stream().mapToDouble(Double::doubleValue).toArray();
            case BYTES:
                check(c.getBytesContentsCount(), count, "bytes_contents", at);
                String[] s = new String[count];
                for (int i = 0; i < count; i++) {
                    ByteString b = c.getBytesContents(i);
                    if (!b.isValidUtf8()) {
                        throw InferenceException.invalidInput(at + " is BYTES: element " + i + " is not valid UTF-8 "
                                + "(this server's BYTES tensors hold text)");
                    }
                    s[i] = b.toStringUtf8();
                }
                return s;
            case FP16:
                throw InferenceException.invalidInput(at + " is FP16, which has no typed contents: send it in "
                        + "raw_input_contents");
            default:
                throw new AssertionError(d);
        }
    }

    private static void check(int got, int expected, String field, String at) {
        if (got != expected) {
            throw InferenceException.invalidInput(at + ": shape says " + expected + " elements but contents."
                    + field + " holds " + got);
        }
    }

    private static long[] ranged(List<Integer> values, Datatype d, String at, boolean unsigned) {
        long[] out = new long[values.size()];
        for (int i = 0; i < out.length; i++) {
            long v = unsigned ? Integer.toUnsignedLong(values.get(i)) : values.get(i);
            if (!d.fits(v)) {
                throw InferenceException.invalidInput(at + ": element " + i + " = " + v + " is out of range for "
                        + d + " [" + d.min() + ", " + d.max() + "]");
            }
            out[i] = v;
        }
        return out;
    }

    private static InferTensorContents contents(Tensor t) {
        InferTensorContents.Builder c = InferTensorContents.newBuilder();
        switch (t.datatype()) {
            case BOOL:
                for (boolean b : t.bools()) {
                    c.addBoolContents(b);
                }
                break;
            case INT8:
            case INT16:
            case INT32:
                for (long v : t.longs()) {
                    c.addIntContents((int) v);
                }
                break;
            case UINT8:
            case UINT16:
            case UINT32:
                for (long v : t.longs()) {
                    c.addUintContents((int) v);
                }
                break;
            case INT64:
                for (long v : t.longs()) {
                    c.addInt64Contents(v);
                }
                break;
            case UINT64:
                for (long v : t.longs()) {
                    c.addUint64Contents(v);
                }
                break;
            case FP32:
                for (float v : t.floats()) {
                    c.addFp32Contents(v);
                }
                break;
            case FP64:
                for (double v : t.doubles()) {
                    c.addFp64Contents(v);
                }
                break;
            case BYTES:
                for (String s : t.strings()) {
                    c.addBytesContents(ByteString.copyFrom(s, StandardCharsets.UTF_8));
                }
                break;
            default:
                throw new AssertionError(t.datatype()); // FP16 goes raw
        }
        return c.build();
    }

    // ---------------------------------------------------------------- parameters

    static Map<String, Object> parameters(Map<String, InferParameter> in) {
        Map<String, Object> out = new HashMap<>();
        in.forEach((k, p) -> {
            switch (p.getParameterChoiceCase()) {
                case BOOL_PARAM:
                    out.put(k, p.getBoolParam());
                    break;
                case INT64_PARAM:
                    out.put(k, p.getInt64Param());
                    break;
                case STRING_PARAM:
                    out.put(k, p.getStringParam());
                    break;
                case DOUBLE_PARAM:
                    out.put(k, p.getDoubleParam());
                    break;
                case UINT64_PARAM:
                    long u = p.getUint64Param();
                    out.put(k, u >= 0 ? (Object) u : new BigInteger(Long.toUnsignedString(u)));
                    break;
                default:
                    break; // unset: no value
            }
        });
        return out;
    }

    static Map<String, InferParameter> toProto(Map<String, Object> in) {
        Map<String, InferParameter> out = new LinkedHashMap<>();
        in.forEach((k, v) -> {
            InferParameter.Builder p = InferParameter.newBuilder();
            if (v instanceof Boolean) {
                p.setBoolParam((Boolean) v);
            } else if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
                p.setInt64Param(((Number) v).longValue());
            } else if (v instanceof Number) {
                p.setDoubleParam(((Number) v).doubleValue());
            } else {
                p.setStringParam(String.valueOf(v));
            }
            out.put(k, p.build());
        });
        return out;
    }
}
