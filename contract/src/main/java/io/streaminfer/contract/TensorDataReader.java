package io.streaminfer.contract;

import com.fasterxml.jackson.databind.JsonNode;

/** Flattens OIP {@code data} (flat or nested, row-major) into the typed array of a datatype, checking every element. */
final class TensorDataReader {
    private final Datatype datatype;
    private final String at;
    private final Object out;
    private final int expected;
    private int n;

    private TensorDataReader(Datatype datatype, int expected, String at) {
        this.datatype = datatype;
        this.at = at;
        this.expected = expected;
        this.out = java.lang.reflect.Array.newInstance(Tensor.arrayClass(datatype).getComponentType(), expected);
    }

    static Object read(JsonNode data, Datatype datatype, int expected, String at) {
        TensorDataReader r = new TensorDataReader(datatype, expected, at);
        if (!data.isArray()) {
            r.add(data); // a scalar tensor may send its one element bare
        } else {
            r.addAll(data, 0);
        }
        if (r.n != expected) {
            throw InferenceException.invalidInput(at + ": shape says " + expected + " elements but data holds "
                    + r.n);
        }
        return r.out;
    }

    private void addAll(JsonNode array, int depth) {
        if (depth > 32) {
            throw InferenceException.invalidInput(at + ": data is nested more than 32 levels deep");
        }
        for (JsonNode e : array) {
            if (e.isArray()) {
                addAll(e, depth + 1);
            } else {
                add(e);
            }
        }
    }

    private void add(JsonNode e) {
        if (n >= expected) {
            n++; // keep counting so the message can say how many came
            return;
        }
        switch (datatype.storage()) {
            case BOOL:
                if (!e.isBoolean()) {
                    throw wrong(e, "true or false");
                }
                ((boolean[]) out)[n] = e.booleanValue();
                break;
            case LONG:
                if (!e.isIntegralNumber() || !e.canConvertToLong()) {
                    throw wrong(e, "an integer");
                }
                long v = e.longValue();
                if (!datatype.fits(v)) {
                    throw InferenceException.invalidInput(at + ": data[" + n + "] = " + v + " is out of range for "
                            + datatype + " [" + datatype.min() + ", " + datatype.max() + "]");
                }
                ((long[]) out)[n] = v;
                break;
            case FLOAT:
                ((float[]) out)[n] = (float) floating(e);
                break;
            case DOUBLE:
                ((double[]) out)[n] = floating(e);
                break;
            case STRING:
                if (!e.isTextual()) {
                    throw wrong(e, "a string");
                }
                ((String[]) out)[n] = e.textValue();
                break;
            default:
                throw new AssertionError(datatype);
        }
        n++;
    }

    /** A number, or the strings Jackson writes for non-finite values, so a response with NaN reads back. */
    private double floating(JsonNode e) {
        if (e.isNumber()) {
            return e.doubleValue();
        }
        if (e.isTextual()) {
            switch (e.textValue()) {
                case "NaN":
                    return Double.NaN;
                case "Infinity":
                    return Double.POSITIVE_INFINITY;
                case "-Infinity":
                    return Double.NEGATIVE_INFINITY;
                default:
                    break;
            }
        }
        throw wrong(e, "a number");
    }

    private InferenceException wrong(JsonNode e, String expectedKind) {
        String shown = e.toString();
        if (shown.length() > 40) {
            shown = shown.substring(0, 40) + "...";
        }
        return InferenceException.invalidInput(at + " is " + datatype + ", so data[" + n + "] must be " + expectedKind
                + ", got " + shown);
    }
}
