package io.streaminfer.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * What deploy/monitoring holds, read for the tests: the rule files, every recording rule (as a query selecting its
 * own series), every alert, and every query of the Grafana dashboard (its {@code $model} variable set to all models).
 */
public final class MonitoringFiles {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A query and where it comes from (a rule, a dashboard panel), for the failure message. */
    public record Query(String source, String expr) {}

    private MonitoringFiles() {}

    /** deploy/monitoring of this checkout, found above the working directory. */
    public static Path dir() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isDirectory(p.resolve("deploy/monitoring"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IllegalStateException("no deploy/monitoring above " + Path.of("").toAbsolutePath());
        }
        return p.resolve("deploy/monitoring");
    }

    public static List<Path> ruleFiles() {
        return ruleFiles(dir().resolve("rules"));
    }

    /** The rule files of a copy of rules/ (a test's Prometheus may run its own objectives). */
    public static List<Path> ruleFiles(Path rulesDir) {
        try (Stream<Path> files = Files.list(rulesDir)) {
            return files.filter(f -> f.toString().endsWith(".yml")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every recording rule as {@code name{its own labels}}: rules sharing a name are told apart by their labels. */
    public static List<Query> recordingRules(Path rulesDir) {
        List<Query> out = new ArrayList<>();
        for (JsonNode rule : rules(ruleFiles(rulesDir))) {
            if (rule.has("record")) {
                String name = rule.get("record").asText();
                String labels = labels(rule.path("labels"));
                out.add(new Query("rule " + name + labels, name + labels));
            }
        }
        return out;
    }

    /** The names of the alerting rules. */
    public static List<String> alerts() {
        return rules(ruleFiles()).stream().filter(r -> r.has("alert")).map(r -> r.get("alert").asText()).toList();
    }

    /**
     * Every query of the dashboard, panels in rows included, and its variables' queries ({@code label_values(m, l)}
     * as {@code m}), with {@code $model} matching every model.
     */
    public static List<Query> dashboardQueries() {
        JsonNode d = read(JSON, dir().resolve("grafana/streaminfer.json"));
        List<Query> out = new ArrayList<>();
        panels(d.path("panels"), out);
        for (JsonNode v : d.path("templating").path("list")) {
            String q = v.path("query").path("query").asText("");
            if (q.startsWith("label_values(")) {
                out.add(new Query("variable " + v.path("name").asText(),
                        q.substring("label_values(".length(), q.lastIndexOf(','))));
            }
        }
        return out;
    }

    private static void panels(JsonNode panels, List<Query> out) {
        for (JsonNode p : panels) {
            for (JsonNode t : p.path("targets")) {
                if (t.hasNonNull("expr")) {
                    out.add(new Query("panel '" + p.path("title").asText() + "' " + t.path("refId").asText(),
                            t.get("expr").asText().replace("=~\"$model\"", "=~\".+\"")));
                }
            }
            panels(p.path("panels"), out);
        }
    }

    private static List<JsonNode> rules(List<Path> files) {
        List<JsonNode> out = new ArrayList<>();
        for (Path f : files) {
            for (JsonNode g : read(YAML, f).path("groups")) {
                g.path("rules").forEach(out::add);
            }
        }
        return out;
    }

    private static String labels(JsonNode labels) {
        if (labels.isMissingNode() || labels.isEmpty()) {
            return "";
        }
        List<String> parts = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = labels.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            parts.add(e.getKey() + "=\"" + e.getValue().asText() + "\"");
        }
        return parts.stream().collect(Collectors.joining(",", "{", "}"));
    }

    private static JsonNode read(ObjectMapper mapper, Path f) {
        try {
            return mapper.readTree(f.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
