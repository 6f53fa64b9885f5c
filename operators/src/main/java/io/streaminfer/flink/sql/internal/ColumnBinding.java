package io.streaminfer.flink.sql.internal;

import java.io.Serializable;
import org.apache.flink.table.types.logical.LogicalType;

/**
 * One INPUT or OUTPUT column of a model and the tensor it stands for. A tensor of rank r is a scalar column (r = 1),
 * r - 1 nested ARRAYs, or, when its inner dimensions are fixed, one flat ARRAY of all of a row's elements in row-major
 * order.
 *
 * @param position the column's index in the feature row (INPUT) or the output row (OUTPUT)
 * @param flat whether a rank > 2 tensor is held as one flat array
 */
public record ColumnBinding(String column, int position, LogicalType type, TensorDecl tensor, boolean flat)
        implements Serializable {

    public LogicalType element() {
        return SqlTypes.element(type);
    }

    public int depth() {
        return SqlTypes.depth(type);
    }
}
