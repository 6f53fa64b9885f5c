package io.streaminfer.contract.model;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How a graph step that runs a generative model builds each row's prompt: a {@code template} whose {@code {name}}
 * placeholders are the step's inputs (a text input as its row's text; an integer input through {@code texts}, as the
 * lines of a file at those indices, one per line), and the generation {@code parameters} every prompt is generated
 * with ({@code max_tokens}, {@code temperature}, ...). In graph.yaml:
 *
 * <pre>{@code
 * - name: answer
 *   model: sotu-gpt
 *   inputs: {question: question, passages: lookup.indices}
 *   prompt: "{passages}\n\nQuestion: {question}\nAnswer:"
 *   texts: {passages: sotu-lookup/1/references.txt}     # relative to the model repository
 *   parameters: {max_tokens: 48, temperature: 0}
 * }</pre>
 *
 * @param texts input name → a text file of the repository whose lines an integer input indexes
 */
public record StepPrompt(String template, Map<String, String> texts, Map<String, Object> parameters)
        implements Serializable {
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([A-Za-z0-9_-]+)}");

    public StepPrompt {
        Objects.requireNonNull(template, "template");
        texts = Map.copyOf(texts);
        parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
    }

    /** The template's placeholders, in order of first use. */
    public Set<String> placeholders() {
        Set<String> names = new LinkedHashSet<>();
        Matcher m = PLACEHOLDER.matcher(template);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    /** The prompt with each placeholder replaced by its value ({@code values} has one for each). */
    public String render(Map<String, String> values) {
        Matcher m = PLACEHOLDER.matcher(template);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String v = values.get(m.group(1));
            m.appendReplacement(out, Matcher.quoteReplacement(v == null ? "" : v));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** Problems of the template against the step's input names (each placeholder an input, each input used). */
    List<String> problems(Set<String> inputs, String at) {
        List<String> problems = new ArrayList<>();
        Set<String> used = placeholders();
        if (used.isEmpty()) {
            problems.add(at + ": 'prompt' uses none of the step's inputs; write them as {name}, e.g. "
                    + "'Question: {question}\\nAnswer:'");
        }
        for (String p : used) {
            if (!inputs.contains(p)) {
                problems.add(at + ": 'prompt' uses {" + p + "}, which is not one of the step's inputs " + inputs);
            }
        }
        for (String in : inputs) {
            if (!used.contains(in)) {
                problems.add(at + ": input '" + in + "' is not used in 'prompt'; add {" + in + "} or remove it");
            }
        }
        for (String t : texts.keySet()) {
            if (!inputs.contains(t)) {
                problems.add(at + ": 'texts' names '" + t + "', which is not one of the step's inputs " + inputs);
            }
        }
        return problems;
    }
}
