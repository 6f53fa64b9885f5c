package io.streaminfer.bridge.batch.feed;

import io.streaminfer.bridge.batch.store.BatchRecord;
import io.streaminfer.bridge.batch.store.Ids;
import io.streaminfer.contract.model.ModelRepository;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A batch's input checked before any line runs, as OpenAI validates a batch: every line a JSON object with a
 * {@code custom_id} unique in the file, {@code method} POST, a {@code url} that is the batch's endpoint (for OIP
 * lines, of a model the repository has), a {@code body} object, no larger than a request may be; the file not empty
 * and within its line limit. Fed the lines in order; lists the problems with their line numbers (the first {@value
 * #LISTED}, then how many more). A request's own content (its model, its inputs) is not checked here: a bad one
 * answers its line with the endpoint's error, as OpenAI's batches do.
 */
final class InputCheck {
    static final int LISTED = 100;

    private final String batchId;
    private final BatchEndpoint endpoint;
    private final ModelRepository repository;
    private final LineTranslator translator;
    private final int maxLineBytes;
    private final int maxLines;
    private final Map<String, Long> customIds = new HashMap<>();
    private final Set<String> requestIds = new HashSet<>();
    private final List<BatchRecord.Problem> problems = new ArrayList<>();
    private long problemCount;
    private long lines;

    InputCheck(String batchId, BatchEndpoint endpoint, ModelRepository repository, LineTranslator translator,
            int maxLineBytes, int maxLines) {
        this.batchId = batchId;
        this.endpoint = endpoint;
        this.repository = repository;
        this.translator = translator;
        this.maxLineBytes = maxLineBytes;
        this.maxLines = maxLines;
    }

    void line(long index, long lineNumber, byte[] bytes, int length) {
        lines++;
        int at = (int) Math.min(Integer.MAX_VALUE, lineNumber);
        if (length > maxLineBytes) {
            problem("request_too_large", "line " + lineNumber + " is " + length + " bytes; a request may be at most "
                    + maxLineBytes + " (http.max-body-bytes)", null, at);
            return;
        }
        InputLine.Read read = InputLine.read(index, lineNumber, bytes, length);
        if (read instanceof InputLine.Bad bad) {
            problem(bad.problem());
            return;
        }
        InputLine line = ((InputLine.Ok) read).line();
        String urlProblem = endpoint.urlProblem(line.url());
        if (urlProblem != null) {
            problem("invalid_url", "line " + lineNumber + ": " + urlProblem, "url", at);
        } else if (endpoint.kind() == BatchEndpoint.Kind.OIP_INFER) {
            BatchEndpoint.OipTarget t = BatchEndpoint.oip(line.url());
            if (!repository.modelNames().contains(t.model())) {
                problem("model_not_found", "line " + lineNumber + ": url names model '" + t.model() + "', which "
                        + "the repository does not have; it has " + repository.modelNames(), "url", at);
            }
        }
        Long first = customIds.putIfAbsent(line.customId(), lineNumber);
        if (first != null) {
            problem("duplicate_custom_id", "line " + lineNumber + " has custom_id '" + line.customId()
                    + "', as line " + first + " has; custom_id must be unique in a batch", "custom_id", at);
            return;
        }
        int parts = translator.parts(line);
        for (int k = 0; k < parts; k++) {
            String id = Ids.request(batchId, line.customId(), k, parts);
            if (id.length() > Ids.MAX_REQUEST_ID || hasControl(id)) {
                problem("invalid_request", "line " + lineNumber + ": custom_id makes the request ID '" + id
                        + "', which is longer than " + Ids.MAX_REQUEST_ID + " characters or has control characters",
                        "custom_id", at);
                return;
            }
            if (!requestIds.add(id)) {
                problem("duplicate_custom_id", "line " + lineNumber + ": its request ID '" + id + "' is also one of "
                        + "another line's parts (lines of more than one part add #<n> to the custom_id)", "custom_id",
                        at);
                return;
            }
        }
    }

    private static boolean hasControl(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.isISOControl(s.charAt(i))) {
                return true;
            }
        }
        return false;
    }

    private void problem(String code, String message, String param, int line) {
        problem(new BatchRecord.Problem(code, message, param, line));
    }

    private void problem(BatchRecord.Problem p) {
        problemCount++;
        if (problems.size() < LISTED) {
            problems.add(p);
        }
    }

    long lines() {
        return lines;
    }

    /** Empty when the input may run. */
    List<BatchRecord.Problem> problems() {
        List<BatchRecord.Problem> all = new ArrayList<>(problems);
        if (lines == 0) {
            all.add(new BatchRecord.Problem("empty_file", "the input file has no lines", "input_file_id", null));
        }
        if (lines > maxLines) {
            all.add(new BatchRecord.Problem("too_many_requests", "the input file has " + lines + " lines; a batch "
                    + "may have at most " + maxLines, "input_file_id", null));
        }
        if (problemCount > problems.size()) {
            all.add(new BatchRecord.Problem("too_many_errors", (problemCount - problems.size()) + " more line(s) "
                    + "have problems; the first " + LISTED + " are listed", null, null));
        }
        return all;
    }
}
