package io.streaminfer.bridge.console;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streaminfer.bridge.jobs.JobIds;
import io.streaminfer.bridge.jobs.JobState;
import io.streaminfer.bridge.jobs.JobView;
import io.streaminfer.contract.OipJson;
import io.streaminfer.contract.model.ModelConfig;
import io.streaminfer.contract.model.ModelRepository;
import io.streaminfer.contract.model.TensorSpec;
import java.util.List;

/** The console API's answers: the repository's models and the jobs changed last. */
final class ConsoleJson {
    /** What the console shows of an ID the bridge made: enough to tell jobs apart, too little to read one. */
    static final int SHOWN_ID_CHARS = 12;

    private final ModelRepository repository;
    private final JobView jobs;

    ConsoleJson(ModelRepository repository, JobView jobs) {
        this.repository = repository;
        this.jobs = jobs;
    }

    /** {@code {"models": [{name, kind, platform, description, versions, inputs, outputs}]}}. */
    byte[] models() {
        ObjectNode root = OipJson.MAPPER.createObjectNode();
        ArrayNode list = root.putArray("models");
        for (ModelRepository.ModelEntry e : repository.models()) {
            ModelConfig c = repository.resolve(e.name(), null).config();
            ObjectNode m = list.addObject();
            m.put("name", e.name());
            m.put("kind", c.kind().yamlName());
            m.put("platform", c.platform() == null ? "pytorch_torchscript" : c.platform());
            m.put("description", c.description());
            e.versions().forEach(m.putArray("versions")::add);
            tensors(m.putArray("inputs"), c.inputs());
            tensors(m.putArray("outputs"), c.outputs());
        }
        return write(root);
    }

    /**
     * {@code {"jobs": [...], "known": n}}, the latest change first. An ID the bridge made is a capability (whoever
     * knows it reads the job: {@link JobIds}), so only its first characters are shown ({@code id_shown}); a
     * producer's own ID is shown whole.
     */
    byte[] jobs(int limit) {
        List<JobState> recent = jobs.recent(limit);
        ObjectNode root = OipJson.MAPPER.createObjectNode();
        ArrayNode list = root.putArray("jobs");
        for (JobState s : recent) {
            ObjectNode j = list.addObject();
            boolean ours = JobIds.madeByBridge(s.id);
            j.put("id_shown", ours ? s.id.substring(0, SHOWN_ID_CHARS) : s.id);
            j.put("id_complete", !ours);
            j.put("kind", s.id.startsWith("j-") && ours ? "job" : ours ? "sync" : "kafka");
            j.put("model", s.model);
            j.put("model_version", s.modelVersion);
            j.put("state", s.state);
            j.put("error_code", s.errorCode);
            j.put("reason", s.reason);
            j.put("step", s.step);
            j.put("accepted_at", s.acceptedAt);
            j.put("updated_at", s.updatedAt);
            if (s.callback != null) {
                j.put("callback", s.callback.state);
            }
            if (s.traceId != null) {
                j.put("trace_id", s.traceId);
            }
        }
        root.put("known", jobs.size());
        return write(root);
    }

    byte[] error(String message) {
        ObjectNode o = OipJson.MAPPER.createObjectNode();
        o.put("error", message);
        return write(o);
    }

    private static void tensors(ArrayNode into, List<TensorSpec> specs) {
        for (TensorSpec t : specs) {
            ObjectNode n = into.addObject();
            n.put("name", t.name());
            n.put("datatype", t.datatype().name());
            ArrayNode shape = n.putArray("shape");
            for (long d : t.shape()) {
                shape.add(d);
            }
        }
    }

    private static byte[] write(ObjectNode o) {
        try {
            return OipJson.MAPPER.writeValueAsBytes(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
