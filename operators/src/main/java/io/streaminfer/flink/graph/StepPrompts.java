package io.streaminfer.flink.graph;

import io.streaminfer.contract.Datatype;
import io.streaminfer.contract.InferenceException;
import io.streaminfer.contract.Tensor;
import io.streaminfer.contract.model.StepPrompt;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The prompts of a generative graph step, one per row: each placeholder of the step's template takes its input's
 * value for that row, a text as it is, integers through the step's {@code texts} (the lines of a file of the
 * repository at those indices, one per line). The files are read once, when the step opens.
 */
final class StepPrompts {
    private final GraphPlan.Step step;
    private final Map<String, List<String>> lines = new HashMap<>();

    StepPrompts(GraphPlan.Step step, Path repository) {
        this.step = step;
        for (Map.Entry<String, String> t : step.prompt.texts().entrySet()) {
            try {
                lines.put(t.getKey(), Files.readAllLines(repository.resolve(t.getValue()), StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new UncheckedIOException("step '" + step.name + "': cannot read " + t.getValue(), e);
            }
        }
    }

    StepPrompt template() {
        return step.prompt;
    }

    /**
     * One prompt per row of the step's inputs (a one-row input serves every row).
     *
     * @throws InferenceException INVALID_INPUT when an index is outside its file, or the inputs' rows disagree
     */
    List<String> render(Map<String, Tensor> tensors) {
        Map<String, Tensor> inputs = new HashMap<>();
        long rows = 1;
        for (Map.Entry<String, List<String>> in : step.inputs.entrySet()) {
            Tensor t = tensors.get(GraphTensors.firstAvailable(in.getValue(), tensors));
            inputs.put(in.getKey(), t);
            long r = t.rank() == 0 ? 1 : t.dim(0);
            if (r != 1 && rows != 1 && r != rows) {
                throw InferenceException.invalidInput("step '" + step.name + "': its inputs have " + rows + " and "
                        + r + " rows");
            }
            rows = Math.max(rows, r);
        }
        List<String> prompts = new ArrayList<>((int) rows);
        for (int row = 0; row < rows; row++) {
            Map<String, String> values = new HashMap<>();
            for (Map.Entry<String, Tensor> in : inputs.entrySet()) {
                values.put(in.getKey(), value(in.getKey(), in.getValue(), row));
            }
            prompts.add(step.prompt.render(values));
        }
        return prompts;
    }

    private String value(String input, Tensor t, int row) {
        int perRow = t.rank() < 2 ? 1 : (int) (t.length() / Math.max(1, t.dim(0)));
        int r = t.rank() == 0 || t.dim(0) == 1 ? 0 : row;
        if (t.datatype() == Datatype.BYTES) {
            String[] s = t.strings();
            return String.join("\n", List.of(s).subList(r * perRow, r * perRow + perRow));
        }
        List<String> file = lines.get(input);
        long[] indexes = t.longs();
        StringBuilder b = new StringBuilder();
        for (int k = r * perRow; k < r * perRow + perRow; k++) {
            long i = indexes[k];
            if (i < 0 || i >= file.size()) {
                throw InferenceException.invalidInput("step '" + step.name + "': " + input + " index " + i
                        + " is outside " + step.prompt.texts().get(input) + " (" + file.size() + " lines)");
            }
            if (b.length() > 0) {
                b.append('\n');
            }
            b.append(file.get((int) i));
        }
        return b.toString();
    }
}
