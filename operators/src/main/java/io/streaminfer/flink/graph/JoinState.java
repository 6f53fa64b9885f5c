package io.streaminfer.flink.graph;

import io.streaminfer.flink.records.GraphRecord;
import org.apache.flink.annotation.Internal;

/** What a join holds for one request until every branch arrived (a Flink POJO, in RocksDB keyed state). */
@Internal
public class JoinState {
    /** The branches merged so far; dropped once the request went on (a first-join waits only to count). */
    public GraphRecord merged;
    /** A failed branch, kept aside by a first-join in case another branch gives the inputs. */
    public GraphRecord failure;
    public int arrived;
    public boolean emitted;

    public JoinState() {}
}
