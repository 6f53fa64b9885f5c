package io.streaminfer.flink.sql.internal;

import io.streaminfer.contract.Datatype;
import java.util.List;
import org.apache.flink.table.types.logical.ArrayType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.LogicalTypeRoot;

/**
 * Which SQL types stand for which OIP datatypes (docs/sql.md's table). A column's elements must hold the tensor's
 * values without loss: into the model, integer columns of any width feed integer tensors (each value is range-checked
 * per row), FLOAT feeds FP16/FP32/FP64, DOUBLE only FP64; out of the model, a column must be at least as wide as the
 * datatype (FP32 into FLOAT or DOUBLE, INT64 into BIGINT). BYTES is text: STRING (VARCHAR/CHAR), UTF-8.
 */
public final class SqlTypes {
    private static final List<LogicalTypeRoot> INTEGERS = List.of(LogicalTypeRoot.TINYINT, LogicalTypeRoot.SMALLINT,
            LogicalTypeRoot.INTEGER, LogicalTypeRoot.BIGINT);

    private SqlTypes() {}

    /** The SQL type to declare for one element of a tensor of this datatype. */
    public static String suggested(Datatype d) {
        switch (d) {
            case BOOL:
                return "BOOLEAN";
            case INT8:
                return "TINYINT";
            case UINT8:
            case INT16:
                return "SMALLINT";
            case UINT16:
            case INT32:
                return "INT";
            case UINT32:
            case INT64:
            case UINT64:
                return "BIGINT";
            case FP16:
            case FP32:
                return "FLOAT";
            case FP64:
                return "DOUBLE";
            case BYTES:
                return "STRING";
            default:
                throw new AssertionError(d);
        }
    }

    /** The SQL type to declare for a whole column bound to this tensor (nested arrays, one level per dimension). */
    public static String suggestedColumn(TensorDecl t) {
        String s = suggested(t.datatype());
        for (int i = 1; i < t.rank(); i++) {
            s = "ARRAY<" + s + ">";
        }
        return s;
    }

    /** Whether a column element of this type can feed a tensor of this datatype. */
    public static boolean feeds(LogicalType element, Datatype d) {
        LogicalTypeRoot r = element.getTypeRoot();
        switch (d.storage()) {
            case BOOL:
                return r == LogicalTypeRoot.BOOLEAN;
            case LONG:
                return INTEGERS.contains(r);
            case FLOAT:
                return r == LogicalTypeRoot.FLOAT;
            case DOUBLE:
                return r == LogicalTypeRoot.FLOAT || r == LogicalTypeRoot.DOUBLE;
            case STRING:
                return r == LogicalTypeRoot.VARCHAR || r == LogicalTypeRoot.CHAR;
            default:
                return false;
        }
    }

    /** Whether a column element of this type can hold every value of a tensor of this datatype. */
    public static boolean holds(LogicalType element, Datatype d) {
        LogicalTypeRoot r = element.getTypeRoot();
        switch (d.storage()) {
            case BOOL:
                return r == LogicalTypeRoot.BOOLEAN;
            case LONG:
                return INTEGERS.contains(r) && INTEGERS.indexOf(r) >= INTEGERS.indexOf(rootOf(suggested(d)));
            case FLOAT:
                return r == LogicalTypeRoot.FLOAT || r == LogicalTypeRoot.DOUBLE;
            case DOUBLE:
                return r == LogicalTypeRoot.DOUBLE;
            case STRING:
                return r == LogicalTypeRoot.VARCHAR || r == LogicalTypeRoot.CHAR;
            default:
                return false;
        }
    }

    private static LogicalTypeRoot rootOf(String sqlInteger) {
        switch (sqlInteger) {
            case "TINYINT":
                return LogicalTypeRoot.TINYINT;
            case "SMALLINT":
                return LogicalTypeRoot.SMALLINT;
            case "INT":
                return LogicalTypeRoot.INTEGER;
            default:
                return LogicalTypeRoot.BIGINT;
        }
    }

    /** How many ARRAY levels wrap the element type. */
    public static int depth(LogicalType t) {
        int d = 0;
        while (t instanceof ArrayType a) {
            t = a.getElementType();
            d++;
        }
        return d;
    }

    /** The innermost element type. */
    public static LogicalType element(LogicalType t) {
        while (t instanceof ArrayType a) {
            t = a.getElementType();
        }
        return t;
    }

    /** Whether a SQL type can be turned into a datatype at all (for the remote mode without metadata). */
    public static Datatype datatypeOf(LogicalType element) {
        switch (element.getTypeRoot()) {
            case BOOLEAN:
                return Datatype.BOOL;
            case TINYINT:
                return Datatype.INT8;
            case SMALLINT:
                return Datatype.INT16;
            case INTEGER:
                return Datatype.INT32;
            case BIGINT:
                return Datatype.INT64;
            case FLOAT:
                return Datatype.FP32;
            case DOUBLE:
                return Datatype.FP64;
            case CHAR:
            case VARCHAR:
                return Datatype.BYTES;
            default:
                return null;
        }
    }
}
