package io.streaminfer.flink.graph;

import io.streaminfer.contract.RequestState;
import io.streaminfer.contract.Tensor;
import io.streaminfer.flink.records.GraphRecord;
import java.util.List;
import java.util.Map;
import org.apache.flink.util.Collector;

/**
 * What happens to a graph record as it reaches a node of its plan, shared by {@link StepGate} (one branch feeds
 * the node) and {@link StepJoin} (several do): progress records pass on once (from the node's first consumer only,
 * as a fan-out copies them to every consumer); a failed request passes on untouched; otherwise a step runs when
 * its inputs are there (a source may be a skipped branch's) and its condition holds, announced by a RUNNING
 * progress record ahead of it, and is marked skipped when not. Skipping is not an error.
 */
final class Gate {
    private Gate() {}

    /** Whether {@code node} passes this progress record on; if so it is now the one that passed it. */
    static boolean passesProgress(GraphPlan plan, int node, GraphRecord progress) {
        if (progress.via == node) {
            return true; // passed on by this node's join already
        }
        if (plan.primaryConsumer(progress.via) != node) {
            return false;
        }
        progress.via = node;
        return true;
    }

    /** Emits what reaches {@code node} for record {@code r} (not a progress record). */
    static void admit(GraphPlan plan, int node, GraphRecord r, boolean announce, Collector<GraphRecord> out) {
        r.run = false;
        if (!r.failed() && !fits(plan, r)) {
            // Restored from a savepoint taken while this version had other steps: its record cannot be read here.
            r.errorCode = io.streaminfer.contract.ErrorCode.INTERNAL;
            r.reason = "graph " + plan.key() + " changed while the request was in it (it was planned with "
                    + r.steps.length + " steps, the graph now has " + plan.steps().size() + "): send it again; "
                    + "change a graph by adding a version";
            r.failedStep = node == plan.output() ? null : plan.step(node).name;
        }
        if (node == plan.output() || r.failed()) {
            out.collect(r);
            return;
        }
        if (runs(plan.step(node), GraphTensors.decode(r.tensors))) {
            r.run = true;
            if (announce) {
                out.collect(r.progress(RequestState.RUNNING, plan.step(node).name, node));
            }
        } else {
            r.steps[node] = GraphRecord.SKIPPED;
        }
        out.collect(r);
    }

    /** Whether {@code r} was planned with this plan's steps. */
    static boolean fits(GraphPlan plan, GraphRecord r) {
        return r.steps != null && r.steps.length == plan.steps().size();
    }

    /** Its inputs are there and its condition (if any) holds on a tensor that is there. */
    static boolean runs(GraphPlan.Step step, Map<String, Tensor> tensors) {
        for (List<String> sources : step.inputs.values()) {
            if (GraphTensors.firstAvailable(sources, tensors) == null) {
                return false;
            }
        }
        if (step.when == null) {
            return true;
        }
        Tensor t = tensors.get(step.when.output().toString());
        return t != null && step.when.test(t);
    }
}
