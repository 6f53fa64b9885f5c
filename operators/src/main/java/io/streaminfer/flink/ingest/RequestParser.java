package io.streaminfer.flink.ingest;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.streaminfer.contract.ErrorCode;
import io.streaminfer.contract.GenerationJson;
import io.streaminfer.contract.InferenceException;
import io.streaminfer.contract.InferenceRequest;
import io.streaminfer.contract.KafkaContract;
import io.streaminfer.contract.OipBinary;
import io.streaminfer.contract.OipJson;
import io.streaminfer.contract.RequestOptions;
import io.streaminfer.contract.TraceContext;
import io.streaminfer.contract.model.ModelRepository;
import io.streaminfer.contract.model.ModelSelection;
import io.streaminfer.contract.model.ModelVersion;
import io.streaminfer.flink.records.RawRecord;
import io.streaminfer.flink.records.Rejection;
import io.streaminfer.flink.tracing.JobTracing;
import io.streaminfer.flink.tracing.SpanAttributes;
import io.streaminfer.tracing.TracingSettings;
import io.streaminfer.flink.records.RequestEnvelope;
import io.streaminfer.runtime.PreparedRequest;
import io.streaminfer.runtime.PreparedRequestCodec;
import io.streaminfer.runtime.RequestPreparer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.flink.annotation.Internal;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns raw request records into validated, prepared {@link RequestEnvelope}s: each request is parsed once, checked
 * against its model and prepared for it (for text: cut to what the model reads and tokenized, so a 4 MB text leaves
 * this operator as a few hundred token ids). Anything wrong with a record (empty, too large, no model header, unknown
 * model, malformed JSON, wrong inputs, bad parameters, text the model refuses) becomes a {@link Rejection} on {@link
 * #REJECTED} with a specific reason: never an exception, so bad input cannot restart the job.
 *
 * <pre>{@code
 * SingleOutputStreamOperator<RequestEnvelope> requests = raw.process(new RequestParser(modelsDir, 4 << 20,
 *         ModelSelection.all()));
 * DataStream<Rejection> rejected = requests.getSideOutput(RequestParser.REJECTED);
 * }</pre>
 */
@Internal
public class RequestParser extends ProcessFunction<RawRecord, RequestEnvelope> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(RequestParser.class);
    public static final OutputTag<Rejection> REJECTED = new OutputTag<>("rejected") {};
    /** Longer IDs are refused: they are Kafka keys and RocksDB keys. */
    public static final int MAX_ID_LENGTH = 512;

    private final String modelsDir;
    private final int maxRequestBytes;
    private final ModelSelection servedModels;
    private final PreparerFactory preparers;

    private transient ModelRepository repository;
    /** Models whose requests may also come in the plain generation form ({@link GenerationJson}). */
    private transient Set<String> generative;
    private transient Map<String, RequestPreparer> preparerByModel;
    private transient Counter prepareNanos;
    private transient Map<ErrorCode, Counter> rejectedByCode;
    private TracingSettings tracingSettings = TracingSettings.off();
    /** Null: tracing off. */
    private transient JobTracing tracing;

    /** @param servedModels the models this job serves (a graph's steps' models need not be listed) */
    public RequestParser(String modelsDir, int maxRequestBytes, ModelSelection servedModels) {
        this(modelsDir, maxRequestBytes, servedModels, PreparerFactory.real());
    }

    /** @param preparers how requests are prepared (tokenized) for their model, once, here */
    public RequestParser(String modelsDir, int maxRequestBytes, ModelSelection servedModels,
            PreparerFactory preparers) {
        if (maxRequestBytes < 1) {
            throw new IllegalArgumentException("maxRequestBytes must be positive, got " + maxRequestBytes);
        }
        this.modelsDir = modelsDir;
        this.maxRequestBytes = maxRequestBytes;
        this.servedModels = Objects.requireNonNull(servedModels, "servedModels");
        this.preparers = preparers;
    }

    /** Traces each record's parse as a span {@code process <topic>} (a Kafka consumer's), continuing its trace. */
    public RequestParser tracing(TracingSettings settings) {
        this.tracingSettings = Objects.requireNonNull(settings, "settings");
        return this;
    }

    @Override
    public void open(OpenContext openContext) {
        tracing = JobTracing.acquire(tracingSettings);
        repository = ModelRepository.open(Path.of(modelsDir));
        generative = new HashSet<>();
        for (ModelRepository.ModelEntry e : repository.models()) {
            if (e.config().isGenerative()) {
                generative.add(e.name());
            }
        }
        preparerByModel = new HashMap<>();
        // The time spent preparing (tokenizing) requests, in total: with the model's time, where the CPU goes.
        prepareNanos = getRuntimeContext().getMetricGroup().counter("prepareNanos");
        rejectedByCode = new HashMap<>();
        for (ErrorCode code : ErrorCode.values()) {
            rejectedByCode.put(code, getRuntimeContext().getMetricGroup().addGroup("rejected")
                    .counter(code.name().toLowerCase(java.util.Locale.ROOT)));
        }
    }

    @Override
    public void processElement(RawRecord raw, Context ctx, Collector<RequestEnvelope> out) {
        String key = raw.key == null || raw.key.length == 0 ? null : new String(raw.key, StandardCharsets.UTF_8);
        String id = key;
        String responseId = null;
        String model = raw.header(KafkaContract.HEADER_MODEL);
        Span span = tracing == null ? null : startProcess(raw, key, model);
        try {
            if (raw.value == null || raw.value.length == 0) {
                throw InferenceException.malformed("empty record value: expected an OIP inference request JSON");
            }
            if (raw.value.length > maxRequestBytes) {
                throw new InferenceException(ErrorCode.PAYLOAD_TOO_LARGE, "request of " + raw.value.length
                        + " bytes is larger than the limit of " + maxRequestBytes + " bytes");
            }
            InferenceRequest request = model != null && generative.contains(model)
                    && GenerationJson.isPlainForm(raw.value) ? GenerationJson.toRequest(raw.value) : parse(raw);
            responseId = request.id();
            if (id == null) {
                id = request.id();
            }
            if (id == null || id.isEmpty()) {
                throw InferenceException.malformed("no request ID: set the record key (or the body's 'id')");
            }
            if (id.length() > MAX_ID_LENGTH) {
                throw InferenceException.malformed("request ID of " + id.length() + " characters; at most "
                        + MAX_ID_LENGTH + " allowed");
            }
            if (model == null || model.isEmpty()) {
                throw InferenceException.malformed("missing header '" + KafkaContract.HEADER_MODEL
                        + "': it names the model to run");
            }
            if (!servedModels.includes(model)) {
                throw new InferenceException(ErrorCode.UNKNOWN_MODEL, "unknown model '" + model + "'; this job "
                        + "serves " + servedModels);
            }
            ModelVersion version = repository.resolve(model, raw.header(KafkaContract.HEADER_MODEL_VERSION));
            RequestOptions options = RequestOptions.of(withHeaderFallbacks(request.parameters(), raw),
                    raw.timestamp);

            RequestEnvelope env = new RequestEnvelope();
            env.id = id;
            env.responseId = responseId != null ? responseId : id;
            // Checked against the model and prepared once, here: what travels on is compact.
            long t0 = System.nanoTime();
            PreparedRequest prepared = preparer(version).prepare(request.withId(env.responseId));
            prepareNanos.inc(System.nanoTime() - t0);
            env.model = model;
            env.modelVersion = version.version();
            env.prepared = PreparedRequestCodec.encode(prepared);
            env.priority = options.priority();
            env.deadlineMs = options.deadlineMs();
            env.producedAt = raw.timestamp;
            env.acceptedAt = System.currentTimeMillis();
            env.replyTo = raw.header(KafkaContract.HEADER_REPLY_TO);
            env.replyPartition = replyPartition(raw);
            env.callbackUrl = options.callbackUrl();
            List<String> binaryOutputs = OipBinary.binaryOutputs(request, version.config().outputNames());
            env.binaryOutputs = binaryOutputs.isEmpty() ? null : binaryOutputs.toArray(new String[0]);
            TraceContext trace = traceOf(raw);
            if (span != null && span.getSpanContext().isSampled()) {
                // Later spans of the request are children of this one, and its records continue from here.
                span.setAttribute(SpanAttributes.REQUEST_ID, id);
                env.traceparent = JobTracing.traceparent(span.getSpanContext());
                env.tracestate = trace == null ? null : trace.tracestate();
            } else if (trace != null) {
                env.traceparent = trace.traceparent();
                env.tracestate = trace.tracestate();
            }
            out.collect(env);
        } catch (InferenceException e) {
            failed(span, e.code());
            reject(ctx, raw, id, responseId, model, e.code(), e.getMessage());
        } catch (RuntimeException e) {
            // Whatever else a hostile record triggers, it must not restart the job.
            LOG.warn("Unexpected failure reading record {} (request {})", raw.coordinates(), id, e);
            failed(span, ErrorCode.MALFORMED_REQUEST);
            reject(ctx, raw, id, responseId, model, ErrorCode.MALFORMED_REQUEST,
                    "could not read the request: " + e);
        } finally {
            if (span != null) {
                span.end();
            }
        }
    }

    /** The consumer span of one record, a child of the producer's context in its headers (OTel's messaging). */
    private Span startProcess(RawRecord raw, String key, String model) {
        SpanBuilder b = tracing.tracer().spanBuilder("process " + raw.topic).setSpanKind(SpanKind.CONSUMER)
                .setParent(JobTracing.parent(raw.header(KafkaContract.HEADER_TRACEPARENT),
                        raw.header(KafkaContract.HEADER_TRACESTATE)))
                .setAttribute(SpanAttributes.MESSAGING_SYSTEM, "kafka")
                .setAttribute(SpanAttributes.MESSAGING_OPERATION, "process")
                .setAttribute(SpanAttributes.DESTINATION, raw.topic)
                .setAttribute(SpanAttributes.PARTITION, Integer.toString(raw.partition))
                .setAttribute(SpanAttributes.OFFSET, raw.offset);
        if (key != null) {
            b.setAttribute(SpanAttributes.MESSAGE_KEY, key);
        }
        if (model != null) {
            b.setAttribute(SpanAttributes.MODEL, model);
        }
        return b.startSpan();
    }

    private static void failed(Span span, ErrorCode code) {
        if (span != null) {
            span.setAttribute(SpanAttributes.ERROR_CODE, code.name());
            span.setStatus(StatusCode.ERROR, code.name());
        }
    }

    /** The W3C trace context the producer sent in the record's headers; null when none, or not a valid one. */
    static TraceContext traceOf(RawRecord raw) {
        String traceparent = raw.header(KafkaContract.HEADER_TRACEPARENT);
        return traceparent == null ? null
                : TraceContext.parse(traceparent, raw.header(KafkaContract.HEADER_TRACESTATE));
    }

    private RequestPreparer preparer(ModelVersion version) {
        return preparerByModel.computeIfAbsent(version.key(), k -> preparers.create(version));
    }

    @Override
    public void close() {
        tracing = JobTracing.giveBack(tracing);
        if (preparerByModel != null) {
            preparerByModel.values().forEach(RequestPreparer::close);
        }
    }

    /** OIP JSON, or the binary framing when the content-type header announces it (docs/contract.md). */
    private static InferenceRequest parse(RawRecord raw) {
        String contentType = raw.header(KafkaContract.HEADER_CONTENT_TYPE);
        if (contentType == null || !contentType.trim().equals(KafkaContract.CONTENT_TYPE_OIP_BINARY)) {
            return OipJson.parseRequest(raw.value);
        }
        String length = raw.header(KafkaContract.HEADER_INFERENCE_HEADER_LENGTH);
        if (length == null) {
            throw InferenceException.malformed("header '" + KafkaContract.HEADER_CONTENT_TYPE + ": "
                    + KafkaContract.CONTENT_TYPE_OIP_BINARY + "' needs header '"
                    + KafkaContract.HEADER_INFERENCE_HEADER_LENGTH + "' (the JSON header's length in bytes)");
        }
        int headerLength;
        try {
            headerLength = Integer.parseInt(length.trim());
        } catch (NumberFormatException e) {
            throw InferenceException.malformed("header '" + KafkaContract.HEADER_INFERENCE_HEADER_LENGTH
                    + "' must be a number of bytes, got '" + length + "'");
        }
        return OipBinary.parseRequest(raw.value, headerLength);
    }

    /** Header values count where the body's parameters say nothing (documented in docs/contract.md). */
    private static Map<String, Object> withHeaderFallbacks(Map<String, Object> parameters, RawRecord raw) {
        String deadline = raw.header(KafkaContract.HEADER_DEADLINE);
        String priority = raw.header(KafkaContract.HEADER_PRIORITY);
        String callback = raw.header(KafkaContract.HEADER_CALLBACK_URL);
        if (deadline == null && priority == null && callback == null) {
            return parameters;
        }
        Map<String, Object> merged = new HashMap<>(parameters);
        if (deadline != null) {
            if (!merged.containsKey(RequestOptions.DEADLINE_MS)) {
                merged.put(RequestOptions.DEADLINE_MS, headerLong(KafkaContract.HEADER_DEADLINE, deadline));
            }
        }
        if (priority != null) {
            if (!merged.containsKey(RequestOptions.PRIORITY)) {
                merged.put(RequestOptions.PRIORITY, headerLong(KafkaContract.HEADER_PRIORITY, priority));
            }
        }
        if (callback != null) {
            merged.putIfAbsent(RequestOptions.CALLBACK_URL, callback.trim());
        }
        return merged;
    }

    /** A numeric header, refused under its own name (not the parameter's) when it is not an integer. */
    private static long headerLong(String header, String value) {
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw InferenceException.invalidInput("header '" + header + "' must be an integer, got '" + value + "'");
        }
    }

    /** The reply partition header; an unreadable one is ignored (the result is then partitioned by key). */
    private static int replyPartition(RawRecord raw) {
        String value = raw.header(KafkaContract.HEADER_REPLY_PARTITION);
        if (value == null) {
            return -1;
        }
        try {
            int p = Integer.parseInt(value.trim());
            return p >= 0 ? p : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private void reject(Context ctx, RawRecord raw, String id, String responseId, String model, ErrorCode code,
            String reason) {
        Rejection r = new Rejection();
        r.id = id != null && !id.isEmpty() && id.length() <= MAX_ID_LENGTH ? id : "kafka:" + raw.coordinates();
        r.responseId = responseId != null ? responseId : r.id;
        r.model = model;
        r.errorCode = code;
        r.reason = reason;
        r.record = raw;
        r.rejectedAt = System.currentTimeMillis();
        r.replyTo = raw.header(KafkaContract.HEADER_REPLY_TO);
        r.replyPartition = replyPartition(raw);
        String callback = raw.header(KafkaContract.HEADER_CALLBACK_URL);
        r.callbackUrl = callback == null || callback.isBlank() ? null : callback.trim();
        rejectedByCode.get(code).inc();
        LOG.info("Rejected request {} ({}): {}", r.id, code, reason);
        ctx.output(REJECTED, r);
    }
}
