package io.streaminfer.bridge.kafka;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the bridge's Kafka readers once the brokers answer and every topic the bridge uses is in their metadata, on
 * a thread of its own, retrying with bounded exponential backoff for as long as that takes. A broker that is slow,
 * down or still creating topics when the bridge starts is an incident to wait out — the bridge serves health
 * meanwhile and is not ready, with {@link #waitingFor()} as the reason — never a reason to exit (which is what a
 * fixed metadata timeout in the start-up path did on a busy machine).
 *
 * <p>Steps run in order; a step that succeeded is not run again, a failing one is retried after the backoff with the
 * topics described afresh. A step must therefore be safe to repeat until it succeeds.
 *
 * <pre>{@code
 * KafkaStartup startup = new KafkaStartup(admin, "localhost:9092", List.of("inference.results"))
 *         .step("reading replies", topics -> replies.start(...), replies::abortStart);
 * startup.start();          // returns at once
 * startup.waitingFor();     // null once every step has run
 * }</pre>
 */
public final class KafkaStartup implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaStartup.class);
    static final long INITIAL_BACKOFF_MS = 200;
    static final long MAX_BACKOFF_MS = 5_000;
    /** How long one metadata request may take before it counts as a failed attempt. */
    private static final int DESCRIBE_TIMEOUT_MS = 5_000;

    /** One start-up action; it gets the topics' descriptions by name. */
    @FunctionalInterface
    public interface Step {
        void run(Map<String, TopicDescription> topics) throws Exception;
    }

    private record Named(String what, Step step, Runnable abort) {}

    private final Admin admin;
    private final String bootstrapServers;
    private final List<String> topics;
    private final List<Named> steps = new ArrayList<>();
    private final Thread thread;
    private final long startedAt = System.currentTimeMillis();
    private volatile String waitingFor;
    private volatile boolean closed;

    /** @param topics every topic the steps need; all must exist before the first step runs */
    public KafkaStartup(Admin admin, String bootstrapServers, List<String> topics) {
        this.admin = admin;
        this.bootstrapServers = bootstrapServers;
        this.topics = List.copyOf(new java.util.LinkedHashSet<>(topics));
        this.waitingFor = "connecting to Kafka at " + bootstrapServers;
        this.thread = new Thread(this::run, "kafka-startup");
        this.thread.setDaemon(true);
    }

    /**
     * Adds a step. {@code abort} interrupts it from another thread when the bridge closes while the step blocks
     * (e.g. a consumer's {@code wakeup()}); may be null.
     */
    public KafkaStartup step(String what, Step step, Runnable abort) {
        steps.add(new Named(what, step, abort));
        return this;
    }

    public void start() {
        thread.start();
    }

    /** Null once every step has run; else what the bridge waits for, and why, for readiness and the log. */
    public String waitingFor() {
        return waitingFor;
    }

    public boolean isDone() {
        return waitingFor == null;
    }

    private void run() {
        long backoff = INITIAL_BACKOFF_MS;
        int attempt = 0;
        int next = 0;
        String lastProblem = null;
        Map<String, TopicDescription> described = null;
        while (!closed && next < steps.size()) {
            String current = described == null ? "the metadata of topics " + topics : steps.get(next).what;
            attempt++;
            try {
                if (described == null) {
                    described = describeTopics();
                }
                steps.get(next).step.run(described);
                next++;
                attempt = 0;
                backoff = INITIAL_BACKOFF_MS;
                continue;
            } catch (Exception e) {
                if (closed) {
                    return;
                }
                String problem = reason(e);
                // Kept the same across retries of one problem: readiness logs each new reason once.
                waitingFor = "waiting for Kafka at " + bootstrapServers + " (" + current + "): " + problem
                        + " (retrying, at most " + MAX_BACKOFF_MS / 1000 + " s apart)";
                if (!problem.equals(lastProblem)) {
                    LOG.warn("Start-up attempt {} is {}", attempt, waitingFor);
                    lastProblem = problem;
                }
                described = null; // a topic may have changed: describe again before retrying
            }
            try {
                Thread.sleep(backoff);
            } catch (InterruptedException e) {
                return;
            }
            backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
        }
        if (!closed) {
            waitingFor = null;
            LOG.info("Kafka readers started {} ms after the bridge started ({})", System.currentTimeMillis() - startedAt,
                    String.join("; ", steps.stream().map(Named::what).toList()));
        }
    }

    /** The topics' descriptions; throws naming every missing topic, or why the brokers did not answer. */
    private Map<String, TopicDescription> describeTopics() throws Exception {
        Map<String, KafkaFuture<TopicDescription>> futures = admin.describeTopics(topics,
                new DescribeTopicsOptions().timeoutMs(DESCRIBE_TIMEOUT_MS)).topicNameValues();
        Map<String, TopicDescription> out = new LinkedHashMap<>();
        java.util.SortedSet<String> missing = new java.util.TreeSet<>();
        for (Map.Entry<String, KafkaFuture<TopicDescription>> f : futures.entrySet()) {
            try {
                out.put(f.getKey(), f.getValue().get(DESCRIBE_TIMEOUT_MS + 1_000L, TimeUnit.MILLISECONDS));
            } catch (ExecutionException e) {
                if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                    missing.add(f.getKey());
                } else {
                    throw e;
                }
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalStateException("topic(s) " + missing + " do not exist (yet): create them "
                    + "(docs/contract.md, Kafka records; deploy/local/kafka topics on the local stack) or fix topics.* "
                    + "in the bridge config");
        }
        return out;
    }

    /** The innermost cause's message: what actually went wrong. */
    static String reason(Throwable e) {
        Throwable t = e;
        while ((t instanceof ExecutionException || t.getMessage() == null) && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof IllegalStateException || t instanceof IllegalArgumentException) {
            return t.getMessage();
        }
        return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    }

    /** Stops retrying; aborts a step that blocks, and waits briefly for the thread so no client is used after. */
    @Override
    public void close() {
        closed = true;
        for (Named s : steps) {
            if (s.abort != null) {
                try {
                    s.abort.run();
                } catch (RuntimeException e) {
                    LOG.debug("Aborting start-up step '{}' failed", s.what, e);
                }
            }
        }
        thread.interrupt();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
