package io.streaminfer.job.tools;

import io.streaminfer.contract.Topics;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Creates the platform's topics with the layouts of {@link Topics}: requests, results, status (compacted),
 * dead letters, callbacks (compacted), tokens (streamed generations), control (cancels), and the batch API's files,
 * file chunks and batches (compacted). Idempotent: a topic that exists is left as it is and checked; a
 * compacted topic that is not compacted is an error (exit 1), fewer partitions than the default a warning.
 *
 * <pre>
 * create-topics                                               # localhost:9092, broker-default replication
 * create-topics --bootstrap-servers k1:9092,k2:9092 --replication-factor 3 --command-config client.properties
 * create-topics --topic results=team-a.results --partitions results=16
 * </pre>
 *
 * Waits up to {@code --wait-seconds} for the cluster to answer and then for every partition to have a leader.
 * Exit codes: 0 all topics exist as they should; 1 a topic could not be created or exists with the wrong cleanup
 * policy, or the cluster did not answer; 2 bad command line.
 */
@Command(name = "create-topics", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Create the streaminfer topics (idempotent): requests, results, status (compacted), "
                + "dead letters, callbacks (compacted), tokens, control, files, file chunks and batches (compacted), "
                + "with the default partition counts of the contract.")
public final class CreateTopicsCommand implements Callable<Integer> {

    /** A topic of the platform: its key (as in the job config's {@code topics:}), default name and partitions. */
    record TopicSpec(String key, String defaultName, int defaultPartitions) {
        boolean compacted() {
            return Topics.isCompacted(defaultName);
        }
    }

    static final List<TopicSpec> TOPICS = List.of(
            new TopicSpec("requests", Topics.REQUESTS, Topics.DEFAULT_REQUEST_PARTITIONS),
            new TopicSpec("results", Topics.RESULTS, Topics.DEFAULT_RESULT_PARTITIONS),
            new TopicSpec("status", Topics.STATUS, Topics.DEFAULT_STATUS_PARTITIONS),
            new TopicSpec("dead-letters", Topics.DEAD_LETTERS, Topics.DEFAULT_DEAD_LETTER_PARTITIONS),
            new TopicSpec("callbacks", Topics.CALLBACKS, Topics.DEFAULT_CALLBACK_PARTITIONS),
            new TopicSpec("tokens", Topics.TOKENS, Topics.DEFAULT_TOKEN_PARTITIONS),
            new TopicSpec("control", Topics.CONTROL, Topics.DEFAULT_CONTROL_PARTITIONS),
            new TopicSpec("files", Topics.FILES, Topics.DEFAULT_FILE_PARTITIONS),
            new TopicSpec("file-chunks", Topics.FILE_CHUNKS, Topics.DEFAULT_FILE_CHUNK_PARTITIONS),
            new TopicSpec("batches", Topics.BATCHES, Topics.DEFAULT_BATCH_PARTITIONS));

    @Option(names = "--bootstrap-servers", defaultValue = "localhost:9092", paramLabel = "HOST:PORT[,...]",
            description = "The cluster (default: ${DEFAULT-VALUE}).")
    String bootstrapServers;

    @Option(names = "--replication-factor", defaultValue = "-1", paramLabel = "N",
            description = "Replicas per partition; -1 (the default) takes the brokers' default.replication.factor.")
    short replicationFactor;

    @Option(names = "--topic", paramLabel = "KEY=NAME",
            description = "Another name for a topic; keys: requests, results, status, dead-letters, callbacks, "
                    + "tokens, control (the job config's topics: keys), files, file-chunks, batches (the bridge "
                    + "config's). Repeatable.")
    Map<String, String> names = new LinkedHashMap<>();

    @Option(names = "--partitions", paramLabel = "KEY=N",
            description = "Another partition count for a topic created now (an existing topic is not changed). "
                    + "Repeatable.")
    Map<String, Integer> partitions = new LinkedHashMap<>();

    @Option(names = "--command-config", paramLabel = "FILE",
            description = "A properties file of Admin client settings (security.protocol, sasl.*, ssl.*, ...).")
    Path commandConfig;

    @Option(names = "--property", paramLabel = "KEY=VALUE",
            description = "An Admin client setting; wins over --command-config. Repeatable.")
    Map<String, String> properties = new LinkedHashMap<>();

    @Option(names = "--wait-seconds", defaultValue = "60", paramLabel = "S",
            description = "How long to wait for the cluster to answer and the topics to have leaders "
                    + "(default: ${DEFAULT-VALUE}).")
    int waitSeconds;

    private final PrintStream out;
    private final PrintStream err;

    public CreateTopicsCommand() {
        this(System.out, System.err);
    }

    CreateTopicsCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        CommandLine cli = new CommandLine(new CreateTopicsCommand(out, err));
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    @Override
    public Integer call() {
        List<String> problems = new ArrayList<>();
        for (String key : names.keySet()) {
            if (spec(key) == null) {
                problems.add("--topic " + key + "=...: unknown key '" + key + "' (keys: " + keys() + ")");
            }
        }
        partitions.forEach((key, n) -> {
            if (spec(key) == null) {
                problems.add("--partitions " + key + "=...: unknown key '" + key + "' (keys: " + keys() + ")");
            } else if (n < 1) {
                problems.add("--partitions " + key + "=" + n + ": must be at least 1");
            }
        });
        if (replicationFactor == 0 || replicationFactor < -1) {
            problems.add("--replication-factor " + replicationFactor + ": must be -1 (broker default) or >= 1");
        }
        if (waitSeconds < 1) {
            problems.add("--wait-seconds " + waitSeconds + ": must be at least 1");
        }
        Properties props;
        try {
            props = adminProperties();
        } catch (IOException e) {
            problems.add("--command-config " + commandConfig + ": cannot read it: " + e.getMessage());
            props = null;
        }
        if (!problems.isEmpty()) {
            problems.forEach(p -> err.println("create-topics: " + p));
            return 2;
        }

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(waitSeconds);
        Admin admin = Admin.create(props);
        try {
            if (!awaitCluster(admin, deadline)) {
                err.println("create-topics: no answer from " + bootstrapServers + " within " + waitSeconds
                        + " s; is the broker running (deploy/local/kafka start) and reachable?");
                return 1;
            }
            return ensureTopics(admin, deadline);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("create-topics: interrupted");
            return 1;
        } finally {
            // Not close(): it waits up to default.api.timeout.ms for calls to a broker that may never answer.
            admin.close(Duration.ofSeconds(2));
        }
    }

    private int ensureTopics(Admin admin, long deadline) throws InterruptedException {
        Map<String, String> outcome = new LinkedHashMap<>(); // name -> created | failed; absent: existed
        boolean failed = false;
        Map<String, TopicDescription> described;
        // Create what is missing, then wait until every partition has a leader. A topic can also vanish between
        // the two (it was being deleted when create said it exists): then the next round creates it.
        while (true) {
            Set<String> existing;
            try {
                existing = admin.listTopics().names()
                        .get(Math.max(1, remainingMs(deadline)), TimeUnit.MILLISECONDS);
            } catch (ExecutionException | TimeoutException e) {
                err.println("create-topics: cannot list the topics of " + bootstrapServers + ": " + cause(e));
                return 1;
            }
            List<NewTopic> toCreate = new ArrayList<>();
            for (TopicSpec t : TOPICS) {
                if (!existing.contains(name(t)) && !outcome.containsKey(name(t))) {
                    toCreate.add(newTopic(t));
                }
            }
            Map<String, KafkaFuture<Void>> results = toCreate.isEmpty() ? Map.of()
                    : admin.createTopics(toCreate).values();
            for (NewTopic nt : toCreate) {
                try {
                    results.get(nt.name()).get(Math.max(1, remainingMs(deadline)), TimeUnit.MILLISECONDS);
                    outcome.put(nt.name(), "created");
                } catch (ExecutionException e) {
                    // TopicExistsException: created meanwhile by someone else (or still being deleted).
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        err.println("create-topics: cannot create " + nt.name() + ": " + cause(e));
                        outcome.put(nt.name(), "failed");
                        failed = true;
                    }
                } catch (TimeoutException e) {
                    err.println("create-topics: creating " + nt.name() + " did not finish within "
                            + waitSeconds + " s");
                    outcome.put(nt.name(), "failed");
                    failed = true;
                }
            }
            List<String> wanted = TOPICS.stream().map(this::name)
                    .filter(n -> !"failed".equals(outcome.get(n))).toList();
            described = describeIfReady(admin, wanted, deadline);
            if (described != null) {
                break;
            }
            if (System.nanoTime() >= deadline) {
                err.println("create-topics: the topics " + wanted + " do not all have a leader for every "
                        + "partition after " + waitSeconds + " s");
                return 1;
            }
            Thread.sleep(100);
        }
        List<String> wanted = new ArrayList<>(described.keySet());
        Map<String, String> policies;
        try {
            policies = cleanupPolicies(admin, wanted, deadline);
        } catch (ExecutionException | TimeoutException e) {
            err.println("create-topics: cannot read the topics' configs: " + cause(e));
            return 1;
        }
        for (TopicSpec t : TOPICS) {
            String name = name(t);
            TopicDescription d = described.get(name);
            if (d == null) {
                continue;
            }
            int n = d.partitions().size();
            int rf = d.partitions().get(0).replicas().size();
            String policy = policies.getOrDefault(name, "?");
            out.printf("%-24s %-8s %3d partitions  replication %d  cleanup.policy=%s%n", name,
                    outcome.getOrDefault(name, "exists"), n, rf, policy);
            if (t.compacted() && !policy.contains(TopicConfig.CLEANUP_POLICY_COMPACT)) {
                err.println("create-topics: " + name + " exists with cleanup.policy=" + policy + "; it must be "
                        + "compacted (it keeps the latest record per request ID). Fix it with: kafka-configs.sh "
                        + "--bootstrap-server " + bootstrapServers + " --alter --entity-type topics --entity-name "
                        + name + " --add-config cleanup.policy=compact");
                failed = true;
            }
            if (n < t.defaultPartitions() && !partitions.containsKey(t.key())) {
                err.println("create-topics: warning: " + name + " has " + n + " partitions, fewer than the "
                        + "default " + t.defaultPartitions() + " (it bounds the parallelism that reads it)");
            }
        }
        return failed ? 1 : 0;
    }

    /** Polls describeCluster until a broker answers or the deadline passes. */
    private static boolean awaitCluster(Admin admin, long deadline) throws InterruptedException {
        while (true) {
            try {
                long wait = Math.max(1, Math.min(remainingMs(deadline), 5_000));
                Collection<?> nodes = admin.describeCluster().nodes().get(wait, TimeUnit.MILLISECONDS);
                if (!nodes.isEmpty()) {
                    return true;
                }
            } catch (ExecutionException | TimeoutException e) {
                // not up yet
            }
            if (System.nanoTime() >= deadline) {
                return false;
            }
            Thread.sleep(250);
        }
    }

    /** The topics' descriptions when all exist and every partition has a leader, else null. */
    private static Map<String, TopicDescription> describeIfReady(Admin admin, List<String> topics, long deadline)
            throws InterruptedException {
        try {
            Map<String, TopicDescription> d = admin.describeTopics(topics).allTopicNames()
                    .get(Math.max(1, remainingMs(deadline)), TimeUnit.MILLISECONDS);
            boolean ready = d.values().stream().allMatch(td -> !td.partitions().isEmpty()
                    && td.partitions().stream().map(TopicPartitionInfo::leader)
                            .allMatch(l -> l != null && !l.isEmpty()));
            return ready ? d : null;
        } catch (ExecutionException | TimeoutException e) {
            return null; // UnknownTopicOrPartitionException while metadata catches up, or a slow broker
        }
    }

    private NewTopic newTopic(TopicSpec t) {
        NewTopic nt = new NewTopic(name(t), Optional.of(partitions(t)),
                replicationFactor < 0 ? Optional.empty() : Optional.of(replicationFactor));
        Map<String, String> configs = new LinkedHashMap<>();
        if (t.compacted()) {
            configs.put(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);
        }
        if (Topics.carriesPayloads(t.defaultName)) {
            configs.put(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(Topics.MAX_MESSAGE_BYTES));
        }
        return configs.isEmpty() ? nt : nt.configs(configs);
    }

    private static Map<String, String> cleanupPolicies(Admin admin, List<String> topics, long deadline)
            throws ExecutionException, TimeoutException, InterruptedException {
        List<ConfigResource> resources = topics.stream()
                .map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t)).toList();
        Map<ConfigResource, Config> configs = admin.describeConfigs(resources).all()
                .get(Math.max(1, remainingMs(deadline)), TimeUnit.MILLISECONDS);
        Map<String, String> policies = new LinkedHashMap<>();
        configs.forEach((r, c) -> {
            ConfigEntry e = c.get(TopicConfig.CLEANUP_POLICY_CONFIG);
            policies.put(r.name(), e == null || e.value() == null ? "delete" : e.value());
        });
        return policies;
    }

    private Properties adminProperties() throws IOException {
        Properties p = new Properties();
        if (commandConfig != null) {
            try (InputStream in = Files.newInputStream(commandConfig)) {
                p.load(in);
            }
        }
        p.putAll(properties);
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.putIfAbsent(AdminClientConfig.CLIENT_ID_CONFIG, "streaminfer-create-topics");
        p.putIfAbsent(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        // Give up on an unreachable broker quickly; awaitCluster() retries until --wait-seconds.
        p.putIfAbsent(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "1000");
        return p;
    }

    private String name(TopicSpec t) {
        return names.getOrDefault(t.key(), t.defaultName());
    }

    private int partitions(TopicSpec t) {
        return partitions.getOrDefault(t.key(), t.defaultPartitions());
    }

    private static TopicSpec spec(String key) {
        return TOPICS.stream().filter(t -> t.key().equals(key)).findFirst().orElse(null);
    }

    private static String keys() {
        return String.join(", ", TOPICS.stream().map(TopicSpec::key).toList());
    }

    private static long remainingMs(long deadline) {
        return Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
    }

    private static String cause(Exception e) {
        Throwable c = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
        return c.getClass().getSimpleName() + ": " + c.getMessage();
    }
}
