package io.streaminfer.batching;

/**
 * What one request costs a batch. A batch of requests costs its total rows times its largest row cost, because every
 * row is padded to the longest: for a text model the row cost is the row's tokens, so a batch costs its padded
 * tokens; for a tensor model it is 1 (a batch costs its rows) or the elements of a row.
 *
 * <pre>{@code
 * Work text = Work.of(3, 41, 97);   // 3 rows, the longest 41 tokens, 97 real tokens: costs 123 padded tokens alone
 * Work rows = Work.rows(8);         // 8 rows of a tensor model
 * }</pre>
 *
 * @param rows the rows it adds to a batch (at least 1)
 * @param maxRowCost the cost of its largest row (at least 1)
 * @param realCost the sum of its rows' own costs, e.g. real tokens before padding (for padding efficiency)
 */
public record Work(int rows, int maxRowCost, long realCost) {
    public Work {
        rows = Math.max(1, rows);
        maxRowCost = Math.max(1, maxRowCost);
        realCost = Math.max(0, realCost);
    }

    public static Work of(int rows, int maxRowCost, long realCost) {
        return new Work(rows, maxRowCost, realCost);
    }

    /** Rows only: each row costs 1. */
    public static Work rows(int rows) {
        return new Work(rows, 1, rows);
    }

    /** What this request costs when it runs alone: rows times its largest row cost. */
    public long paddedCost() {
        return (long) rows * maxRowCost;
    }
}
