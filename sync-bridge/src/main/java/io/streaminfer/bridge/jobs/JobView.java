package io.streaminfer.bridge.jobs;

import io.streaminfer.bridge.kafka.TopicReader;
import io.streaminfer.contract.KafkaContract;
import io.streaminfer.contract.StatusRecord;
import io.streaminfer.contract.TraceContext;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.header.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The jobs as this replica sees them, materialized from the compacted status and callbacks topics (read from the
 * beginning, all partitions), so a restarted replica, or any other one, answers for every job. Bounded: the oldest
 * jobs are forgotten first beyond {@code maxTracked}. Watchers (server-sent events) hear each change.
 */
public final class JobView extends TopicReader {
    private static final Logger LOG = LoggerFactory.getLogger(JobView.class);
    private static final int CHANGES_KEPT = 1024;

    private final String statusTopic;
    private final String callbacksTopic;
    private final Map<String, JobState> jobs;
    private final Map<String, List<Consumer<JobState>>> watchers = new HashMap<>();
    /** The IDs changed last, newest at the end, repeats included: {@link #recent} reads it, not every job. */
    private final ArrayDeque<String> changed = new ArrayDeque<>();
    private volatile boolean caughtUp;

    public JobView(org.apache.kafka.clients.consumer.Consumer<byte[], byte[]> consumer, String statusTopic,
            String callbacksTopic, int maxTracked) {
        super(consumer, "job-view", "job queries are stale until the bridge restarts");
        this.statusTopic = statusTopic;
        this.callbacksTopic = callbacksTopic;
        this.jobs = new LinkedHashMap<>(1024, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, JobState> eldest) {
                return size() > maxTracked;
            }
        };
    }

    public void start() {
        Map<String, String> topics = new LinkedHashMap<>();
        topics.put(statusTopic, "create it (docs/contract.md, Kafka records) or fix topics.status");
        topics.put(callbacksTopic, "create it (docs/contract.md, Kafka records) or fix topics.callbacks");
        startFromBeginning(topics);
    }

    /** True once everything that was on the topics at start-up has been read. */
    public boolean isCaughtUp() {
        return caughtUp;
    }

    public JobState get(String id) {
        synchronized (jobs) {
            return jobs.get(id);
        }
    }

    /** This replica has just published the job: answer "submitted" before the job's first status arrives. */
    public void noteSubmitted(String id, String model, String modelVersion) {
        synchronized (jobs) {
            if (jobs.putIfAbsent(id, JobState.submitted(id, model, modelVersion, System.currentTimeMillis())) == null) {
                changed(id);
            }
        }
    }

    /** Up to {@code limit} of the jobs changed last (a status or a callback), the latest first. */
    public List<JobState> recent(int limit) {
        List<JobState> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        synchronized (jobs) {
            for (Iterator<String> it = changed.descendingIterator(); it.hasNext() && out.size() < limit; ) {
                String id = it.next();
                JobState s = seen.add(id) ? jobs.get(id) : null;
                if (s != null) {
                    out.add(s);
                }
            }
        }
        return out;
    }

    /** Called holding the lock on {@code jobs}. */
    private void changed(String id) {
        changed.addLast(id);
        if (changed.size() > CHANGES_KEPT) {
            changed.removeFirst();
        }
    }

    /**
     * Calls {@code watcher} with the current state (if any) and then with every change, until the returned handle
     * is run. The watcher runs on the view's thread: it must hand work off, not block.
     */
    public Runnable watch(String id, Consumer<JobState> watcher) {
        JobState now;
        synchronized (jobs) {
            watchers.computeIfAbsent(id, k -> new CopyOnWriteArrayList<>()).add(watcher);
            now = jobs.get(id);
        }
        if (now != null) {
            watcher.accept(now);
        }
        return () -> {
            synchronized (jobs) {
                List<Consumer<JobState>> list = watchers.get(id);
                if (list != null) {
                    list.remove(watcher);
                    if (list.isEmpty()) {
                        watchers.remove(id);
                    }
                }
            }
        };
    }

    @Override
    protected void onRecords(ConsumerRecords<byte[], byte[]> records) {
        for (ConsumerRecord<byte[], byte[]> r : records) {
            apply(r);
        }
        if (!caughtUp) {
            checkCaughtUp();
        }
    }

    private void checkCaughtUp() {
        if (!reachedStartEnds()) {
            return;
        }
        caughtUp = true;
        LOG.info("Job view caught up: {} jobs known", size());
    }

    public int size() {
        synchronized (jobs) {
            return jobs.size();
        }
    }

    /** The W3C trace ID in a record's traceparent header; null when it has none, or an invalid one. */
    private static String traceIdOf(ConsumerRecord<byte[], byte[]> r) {
        Header h = r.headers().lastHeader(KafkaContract.HEADER_TRACEPARENT);
        TraceContext trace = h == null ? null : TraceContext.parse(new String(h.value(), StandardCharsets.UTF_8),
                null);
        return trace == null ? null : trace.traceId();
    }

    private void apply(ConsumerRecord<byte[], byte[]> r) {
        if (r.key() == null || r.value() == null) {
            return; // a tombstone or a keyless record: nothing to show
        }
        String id = new String(r.key(), StandardCharsets.UTF_8);
        JobState updated;
        List<Consumer<JobState>> toNotify;
        try {
            synchronized (jobs) {
                JobState old = jobs.get(id);
                if (r.topic().equals(statusTopic)) {
                    StatusRecord s = StatusRecord.fromJson(r.value());
                    JobState base = old != null ? old : JobState.submitted(id, s.model(), s.modelVersion(), 0);
                    if (old != null && old.isFinal() && !s.state().isFinal()) {
                        return; // a late progress record never hides the final state
                    }
                    updated = base.withStatus(s, traceIdOf(r));
                } else {
                    CallbackOutcome c = CallbackOutcome.fromJson(r.value());
                    updated = (old != null ? old : JobState.submitted(id, null, null, 0)).withCallback(c);
                }
                jobs.remove(id); // re-insert: the map's order is "last changed", so eviction drops the stalest
                jobs.put(id, updated);
                changed(id);
                toNotify = watchers.get(id);
            }
        } catch (RuntimeException e) {
            LOG.warn("Unreadable record for job {} on {} (offset {}): {}", id, r.topic(), r.offset(), e.toString());
            return;
        }
        if (toNotify != null) {
            for (Consumer<JobState> w : toNotify) {
                try {
                    w.accept(updated);
                } catch (RuntimeException e) {
                    LOG.warn("A watcher of job {} failed", id, e);
                }
            }
        }
    }

}
