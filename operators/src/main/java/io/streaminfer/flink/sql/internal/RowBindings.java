package io.streaminfer.flink.sql.internal;

import io.streaminfer.flink.sql.SqlModelOptions;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.LogicalTypeRoot;
import org.apache.flink.table.types.logical.RowType;

/**
 * How a model's INPUT and OUTPUT columns map onto its tensors, checked once when the model provider is created:
 * every problem is collected with what to change in the {@code CREATE MODEL} statement.
 *
 * @param errorPosition the error column's index in the output row, or -1
 */
public record RowBindings(ModelSignature signature, List<ColumnBinding> inputs, List<ColumnBinding> outputs,
        int errorPosition, int outputArity) implements Serializable {

    /**
     * @throws IllegalArgumentException listing every mismatch, each with the fix
     */
    public static RowBindings bind(ModelSignature sig, RowType input, RowType output, SqlModelOptions options) {
        List<String> p = new ArrayList<>();
        String model = "model '" + sig.key() + "'";
        List<ColumnBinding> inputs = new ArrayList<>();
        for (int i = 0; i < input.getFieldCount(); i++) {
            String name = input.getFieldNames().get(i);
            LogicalType type = input.getTypeAt(i);
            TensorDecl t = sig.input(name);
            if (t == null) {
                p.add("INPUT column '" + name + "' is not an input of " + model + ", which takes " + describe(
                        sig.inputs()) + "; name the INPUT columns after them: INPUT (" + suggest(sig.inputs()) + ")");
                continue;
            }
            String why = check(type, t, true);
            if (why != null) {
                p.add("INPUT column '" + name + "' " + why);
                continue;
            }
            inputs.add(new ColumnBinding(name, i, type, t, SqlTypes.depth(type) == 1 && t.rank() > 2));
        }
        for (TensorDecl t : sig.inputs()) {
            if (!input.getFieldNames().contains(t.name())) {
                p.add(model + " takes input " + t + ", which INPUT does not declare; add "
                        + t.name() + " " + SqlTypes.suggestedColumn(t));
            }
        }
        List<ColumnBinding> outputs = new ArrayList<>();
        int errorPosition = -1;
        String errorColumn = options.errorColumn();
        for (int i = 0; i < output.getFieldCount(); i++) {
            String name = output.getFieldNames().get(i);
            LogicalType type = output.getTypeAt(i);
            if (name.equals(errorColumn)) {
                errorPosition = i;
                if (type.getTypeRoot() != LogicalTypeRoot.VARCHAR) {
                    p.add("OUTPUT column '" + name + "' is the '" + SqlModelOptions.ERROR_COLUMN + "' and must be "
                            + "STRING, got " + type.asSummaryString());
                } else if (!type.isNullable()) {
                    p.add("OUTPUT column '" + name + "' is the '" + SqlModelOptions.ERROR_COLUMN + "', null for rows "
                            + "that succeed: drop its NOT NULL");
                }
                if (sig.output(name) != null) {
                    p.add("OUTPUT column '" + name + "' is both a model output and the '"
                            + SqlModelOptions.ERROR_COLUMN + "'; set '" + SqlModelOptions.ERROR_COLUMN
                            + "' to another name, e.g. 'error'");
                }
                continue;
            }
            TensorDecl t = sig.output(name);
            if (t == null) {
                p.add("OUTPUT column '" + name + "' is not an output of " + model + ", which gives " + describe(
                        sig.outputs()) + (errorColumn == null ? "; for a column that carries a failed row's error, "
                        + "set '" + SqlModelOptions.ERROR_COLUMN + "' = '" + name + "'" : ""));
                continue;
            }
            String why = check(type, t, false);
            if (why != null) {
                p.add("OUTPUT column '" + name + "' " + why);
                continue;
            }
            if (!type.isNullable() && options.onError() == SqlModelOptions.OnError.NULL) {
                p.add("OUTPUT column '" + name + "' is NOT NULL, but with 'on-error' = 'null' a failed row's outputs "
                        + "are null: drop NOT NULL, or set 'on-error' to 'skip' or 'fail'");
            }
            outputs.add(new ColumnBinding(name, i, type, t, SqlTypes.depth(type) == 1 && t.rank() > 2));
        }
        if (errorColumn != null && errorPosition < 0) {
            p.add("'" + SqlModelOptions.ERROR_COLUMN + "' = '" + errorColumn + "' names no OUTPUT column; add "
                    + errorColumn + " STRING to OUTPUT");
        }
        if (outputs.isEmpty() && output.getFieldCount() > 0 && p.isEmpty()) {
            p.add("OUTPUT declares no output of " + model + "; it gives " + describe(sig.outputs()));
        }
        if (!p.isEmpty()) {
            throw new IllegalArgumentException(model + " (" + sig.source() + ") does not match the model's INPUT/"
                    + "OUTPUT columns; " + p.size() + " problem(s):\n  - " + String.join("\n  - ", p));
        }
        return new RowBindings(sig, inputs, outputs, errorPosition, output.getFieldCount());
    }

    /** Why a column cannot stand for a tensor, as the rest of a sentence; null when it can. */
    private static String check(LogicalType type, TensorDecl t, boolean input) {
        LogicalType element = SqlTypes.element(type);
        int depth = SqlTypes.depth(type);
        String want = SqlTypes.suggestedColumn(t);
        String flatHint = t.rank() > 2 && t.innerDimsFixed() ? " (or a flat ARRAY<" + SqlTypes.suggested(
                t.datatype()) + "> of " + t.rowElements() + " elements)" : "";
        if (SqlTypes.datatypeOf(element) == null) {
            return "has type " + type.asSummaryString() + ", which stands for no OIP datatype; the model's " + (input
                    ? "input " : "output ") + t + " wants " + want + flatHint;
        }
        boolean shapeOk = depth == t.rank() - 1 || (depth == 1 && t.rank() > 2 && t.innerDimsFixed());
        if (!shapeOk) {
            return "is " + type.asSummaryString() + ", but the model's " + (input ? "input " : "output ") + t
                    + " is " + (t.rank() == 1 ? "one value" : "a " + (t.rank() - 1) + "-dimensional array")
                    + " per row: declare it " + want + flatHint;
        }
        boolean typeOk = input ? SqlTypes.feeds(element, t.datatype()) : SqlTypes.holds(element, t.datatype());
        if (!typeOk) {
            return "has elements of type " + element.asSummaryString() + ", which " + (input ? "cannot feed"
                    : "cannot hold") + " the model's " + t.datatype() + " " + (input ? "input " : "output ")
                    + t.name() + " without loss: declare it " + want + flatHint;
        }
        return null;
    }

    private static String describe(List<TensorDecl> tensors) {
        return tensors.stream().map(TensorDecl::toString).collect(Collectors.joining(", "));
    }

    private static String suggest(List<TensorDecl> tensors) {
        return tensors.stream().map(t -> t.name() + " " + SqlTypes.suggestedColumn(t))
                .collect(Collectors.joining(", "));
    }

    /** The model outputs the query reads (the request asks for these only). */
    public List<String> outputNames() {
        return outputs.stream().map(b -> b.tensor().name()).toList();
    }
}
