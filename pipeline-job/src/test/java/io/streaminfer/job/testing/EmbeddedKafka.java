package io.streaminfer.job.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import kafka.server.BrokerServer;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.apache.kafka.metadata.bootstrap.BootstrapMetadata;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real, in-process KRaft Kafka broker for integration tests and benchmarks: one combined broker+controller
 * node from Kafka's own {@link KafkaClusterTestKit}, PLAINTEXT on {@code localhost}, data in a temp dir.
 *
 * <p>Configured like a production 4.2 broker (production metadata version and feature levels, so the
 * transaction protocol clients negotiate is the one a real 4.2 cluster would give them), scaled down to
 * one node: internal topics have RF 1 and a single partition, {@code auto.create.topics.enable=false}
 * so a typo in a topic name fails instead of silently creating a topic.
 *
 * <p>Clients created through {@link #producer()}, {@link #consumer(String)} etc. are closed by
 * {@link #close()} if the caller did not close them first.
 *
 * <p>{@link #stopBroker()}, {@link #startBroker()} and {@link #close()} are synchronized; the client helpers may be
 * used from any thread.
 */
public final class EmbeddedKafka implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);

    /** Broker settings applied before {@code start(overrides)}'s overrides. */
    public static final Map<String, String> DEFAULT_BROKER_CONFIG = defaultBrokerConfig();

    private static Map<String, String> defaultBrokerConfig() {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("auto.create.topics.enable", "false");
        c.put("num.partitions", "1");
        c.put("default.replication.factor", "1");
        c.put("min.insync.replicas", "1");
        // Internal topics: one replica, one partition (by default 50 each, created on first use of groups/transactions).
        c.put("offsets.topic.replication.factor", "1");
        c.put("offsets.topic.num.partitions", "1");
        c.put("transaction.state.log.replication.factor", "1");
        c.put("transaction.state.log.min.isr", "1");
        c.put("transaction.state.log.num.partitions", "1");
        c.put("share.coordinator.state.topic.replication.factor", "1");
        c.put("share.coordinator.state.topic.min.isr", "1");
        c.put("share.coordinator.state.topic.num.partitions", "1");
        c.put("group.initial.rebalance.delay.ms", "0");
        // transaction.max.timeout.ms stays Kafka's default (15 min), as on a stock broker: a job that asks its
        // sinks for longer transactions fails here as it would in production.
        // Behave like a released broker, not like Kafka's own test suite (which enables unstable APIs).
        c.put("unstable.api.versions.enable", "false");
        c.put("unstable.feature.versions.enable", "false");
        // Fewer threads on a 2-core machine; plenty for tests.
        c.put("num.network.threads", "2");
        c.put("num.io.threads", "4");
        c.put("num.recovery.threads.per.data.dir", "1");
        c.put("background.threads", "4");
        // A restarted broker can only re-register once the controller let its old session expire
        // (broker.session.timeout.ms, default 9 s, so startBroker() took 10 s). 4 s = 8 missed heartbeats, still
        // safe under a loaded 2-core machine; pass a larger value to start(overrides) for heavy benchmarks.
        c.put("broker.heartbeat.interval.ms", "500");
        c.put("broker.session.timeout.ms", "4000");
        return Map.copyOf(c);
    }

    private final KafkaClusterTestKit cluster;
    private final Path baseDir;
    private final int brokerId;
    private final String bootstrapServers;
    /** The broker's own JVM when started by {@link #startInOwnProcess(Map)}; null for a broker in this JVM. */
    private final Process child;
    private final List<AutoCloseable> clients = new CopyOnWriteArrayList<>();
    private volatile Admin admin;
    private volatile boolean brokerRunning;
    private volatile boolean closed;

    private EmbeddedKafka(KafkaClusterTestKit cluster, Path baseDir) {
        this.cluster = cluster;
        this.baseDir = baseDir;
        this.brokerId = cluster.brokers().keySet().iterator().next();
        this.bootstrapServers = cluster.bootstrapServers();
        this.child = null;
        this.brokerRunning = true;
    }

    private EmbeddedKafka(Process child, String bootstrapServers) {
        this.cluster = null;
        this.baseDir = null;
        this.brokerId = -1;
        this.bootstrapServers = bootstrapServers;
        this.child = child;
        this.brokerRunning = true;
    }

    /** The line a broker in its own process writes to stdout once it is ready, followed by its bootstrap servers. */
    private static final String READY_MARKER = "embedded-kafka-ready bootstrap=";

    /**
     * Starts the broker in a JVM of its own (this JVM's java and classpath, 1 GiB heap), as in production, where
     * the broker's CPU and memory are not the job's: the benchmarks measure both ways. The client helpers work as
     * for a broker in this JVM; {@link #stopBroker()}/{@link #startBroker()} and {@link #cluster()} do not.
     * {@link #close()} ends the process. Its output goes to {@code embedded-kafka-<pid>.log} in java.io.tmpdir.
     */
    public static EmbeddedKafka startInOwnProcess(Map<String, String> brokerOverrides) {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-Xmx1g", "-XX:+UseG1GC", "-cp", System.getProperty("java.class.path"), OwnProcess.class.getName()));
        brokerOverrides.forEach((k, v) -> command.add(k + "=" + v));
        Path log = Path.of(System.getProperty("java.io.tmpdir"), "embedded-kafka-" + ProcessHandle.current().pid()
                + "-" + UUID.randomUUID().toString().substring(0, 8) + ".log");
        try {
            Process p = new ProcessBuilder(command).redirectError(log.toFile()).start();
            java.io.BufferedReader out = new java.io.BufferedReader(new java.io.InputStreamReader(
                    p.getInputStream(), java.nio.charset.StandardCharsets.UTF_8));
            java.util.concurrent.CompletableFuture<String> ready = new java.util.concurrent.CompletableFuture<>();
            Thread reader = new Thread(() -> {
                try {
                    for (String line = out.readLine(); line != null; line = out.readLine()) {
                        if (line.startsWith(READY_MARKER)) {
                            ready.complete(line.substring(READY_MARKER.length()).trim());
                        }
                    }
                    ready.completeExceptionally(new IllegalStateException("the broker process ended; see " + log));
                } catch (IOException e) {
                    ready.completeExceptionally(e);
                }
            }, "embedded-kafka-child-stdout");
            reader.setDaemon(true); // drains the child's stdout for its whole life, so it never blocks on a pipe
            reader.start();
            try {
                String bootstrap = ready.get(3, TimeUnit.MINUTES);
                LOG.info("Embedded Kafka in its own process (pid {}) up at {}, log {}", p.pid(), bootstrap, log);
                return new EmbeddedKafka(p, bootstrap);
            } catch (Exception e) {
                p.destroyForcibly();
                throw new IllegalStateException("the broker in its own process did not start; see " + log, e);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** CPU time (user + system) the broker's own process used so far; -1 for a broker in this JVM or without /proc. */
    public long brokerProcessCpuNanos() {
        if (child == null) {
            return -1;
        }
        try {
            String stat = Files.readString(Path.of("/proc/" + child.pid() + "/stat"));
            // Fields after the command name, which is in parentheses and may contain spaces: utime is the 14th.
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000_000L; // USER_HZ = 100
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Whether the broker runs in a JVM of its own ({@link #startInOwnProcess(Map)}). */
    public boolean inOwnProcess() {
        return child != null;
    }

    /**
     * The main class of {@link #startInOwnProcess(Map)}: starts a broker with {@code key=value} overrides, writes
     * the ready line on stdout, and runs until its stdin ends (its parent closed it, or died).
     */
    public static final class OwnProcess {
        private OwnProcess() {}

        public static void main(String[] args) throws IOException {
            java.io.PrintStream stdout = System.out;
            System.setOut(System.err); // Kafka's test kit prints to stdout; keep it for the ready line
            Map<String, String> overrides = new LinkedHashMap<>();
            for (String a : args) {
                int eq = a.indexOf('=');
                overrides.put(a.substring(0, eq), a.substring(eq + 1));
            }
            try (EmbeddedKafka kafka = start(overrides)) {
                stdout.println(READY_MARKER + kafka.bootstrapServers());
                stdout.flush();
                while (System.in.read() >= 0) {
                    // wait for the parent to close stdin
                }
            }
            System.exit(0);
        }
    }

    /** Starts a broker with {@link #DEFAULT_BROKER_CONFIG}. */
    public static EmbeddedKafka start() {
        return start(Map.of());
    }

    /**
     * Starts a broker; {@code brokerOverrides} are broker configs ({@code server.properties} keys) applied on top
     * of {@link #DEFAULT_BROKER_CONFIG}. Blocks until the broker is registered, unfenced and has caught up with
     * the metadata log.
     */
    public static EmbeddedKafka start(Map<String, String> brokerOverrides) {
        return start(brokerOverrides, Map.of());
    }

    /**
     * As {@link #start(Map)}, with feature levels the cluster is formatted with (what
     * {@code kafka-storage format --feature NAME=LEVEL} does) over the production defaults of Kafka 4.2, e.g.
     * {@code Map.of("transaction.version", (short) 1)} for the pre-KIP-890 transaction protocol (the default is
     * 2, as on a freshly formatted real 4.x cluster).
     */
    public static EmbeddedKafka start(Map<String, String> brokerOverrides, Map<String, Short> featureLevels) {
        long t0 = System.nanoTime();
        Path baseDir;
        try {
            baseDir = Files.createTempDirectory("embedded-kafka-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, String> config = new LinkedHashMap<>(DEFAULT_BROKER_CONFIG);
        config.putAll(brokerOverrides);
        KafkaClusterTestKit cluster = null;
        try {
            MetadataVersion mv = MetadataVersion.latestProduction();
            Map<String, Short> features = new TreeMap<>();
            Feature.PRODUCTION_FEATURES.forEach(f -> features.put(f.featureName(), f.defaultLevel(mv)));
            features.putAll(featureLevels);
            TestKitNodes nodes = new TestKitNodes.Builder(
                            BootstrapMetadata.fromVersions(mv, features, "embedded-kafka"))
                    .setCombined(true)
                    .setNumBrokerNodes(1)
                    .setNumControllerNodes(1)
                    .setBaseDirectory(baseDir)
                    .build();
            KafkaClusterTestKit.Builder builder = new KafkaClusterTestKit.Builder(nodes);
            config.forEach(builder::setConfigProp);
            cluster = builder.build();
            cluster.format();
            cluster.startup();
            cluster.waitForReadyBrokers();
            EmbeddedKafka kafka = new EmbeddedKafka(cluster, baseDir);
            LOG.info("Embedded Kafka (KRaft, {}, {}) up at {} in {} ms, data in {}", mv, features,
                    kafka.bootstrapServers, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), baseDir);
            return kafka;
        } catch (Exception e) {
            if (cluster != null) {
                closeQuietly(cluster, "cluster after a failed start");
            }
            deleteRecursively(baseDir);
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new IllegalStateException("Embedded Kafka failed to start", e);
        }
    }

    /** {@code localhost:PORT}; the same port across {@link #stopBroker()} / {@link #startBroker()}. */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** The broker's data directory root (metadata log and topic logs live below it). */
    public Path dataDir() {
        return baseDir;
    }

    /** The underlying Kafka test kit, for what this class does not wrap (a broker in this JVM only). */
    public KafkaClusterTestKit cluster() {
        ensureInThisJvm();
        return cluster;
    }

    // ---------------------------------------------------------------------------------------------------- topics

    /** A shared admin client, closed by {@link #close()}; do not close it yourself. */
    public Admin admin() {
        Admin a = admin;
        if (a == null) {
            synchronized (this) {
                a = admin;
                if (a == null) {
                    Properties p = new Properties();
                    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
                    p.put(AdminClientConfig.CLIENT_ID_CONFIG, "embedded-kafka-admin");
                    a = Admin.create(p);
                    admin = a;
                }
            }
        }
        return a;
    }

    /** Creates a topic with one partition and no topic configs. */
    public void createTopic(String name) {
        createTopic(name, 1, Map.of());
    }

    public void createTopic(String name, int partitions) {
        createTopic(name, partitions, Map.of());
    }

    /**
     * Creates a topic (RF 1) and waits until every partition has a leader, so clients can use it at once.
     *
     * @param configs topic-level configs, e.g. {@code cleanup.policy}, {@code retention.ms}; may be empty
     */
    public void createTopic(String name, int partitions, Map<String, String> configs) {
        createTopics(List.of(new NewTopic(name, partitions, (short) 1).configs(configs)));
    }

    /** Creates topics with one partition each. */
    public void createTopics(String... names) {
        List<NewTopic> topics = new ArrayList<>();
        for (String n : names) {
            topics.add(new NewTopic(n, 1, (short) 1));
        }
        createTopics(topics);
    }

    /** Creates topics with {@code partitions} partitions each. */
    public void createTopics(int partitions, String... names) {
        List<NewTopic> topics = new ArrayList<>();
        for (String n : names) {
            topics.add(new NewTopic(n, partitions, (short) 1));
        }
        createTopics(topics);
    }

    /** Creates topics and waits until every partition of each has a leader. */
    public void createTopics(Collection<NewTopic> topics) {
        try {
            admin().createTopics(topics).all().get(30, TimeUnit.SECONDS);
            Map<String, Integer> expected = new HashMap<>();
            topics.forEach(t -> expected.put(t.name(), t.numPartitions()));
            awaitTopicsReady(expected, Duration.ofSeconds(30));
            LOG.debug("Created topics {}", expected);
        } catch (Exception e) {
            throw unchecked("creating topics " + topics, e);
        }
    }

    /** Deletes a topic and waits until the broker no longer lists it (deletion is asynchronous in Kafka). */
    public void deleteTopic(String name) {
        try {
            admin().deleteTopics(List.of(name)).all().get(30, TimeUnit.SECONDS);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (listTopics().contains(name)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("topic " + name + " still listed 30 s after its deletion");
                }
                TimeUnit.MILLISECONDS.sleep(20);
            }
        } catch (Exception e) {
            throw unchecked("deleting topic " + name, e);
        }
    }

    public Set<String> listTopics() {
        try {
            return admin().listTopics().names().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw unchecked("listing topics", e);
        }
    }

    private void awaitTopicsReady(Map<String, Integer> expected, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                Map<String, TopicDescription> d = admin().describeTopics(expected.keySet()).allTopicNames()
                        .get(10, TimeUnit.SECONDS);
                boolean ready = expected.entrySet().stream().allMatch(e -> {
                    TopicDescription td = d.get(e.getKey());
                    return td != null && td.partitions().size() == e.getValue()
                            && td.partitions().stream().map(TopicPartitionInfo::leader)
                                    .allMatch(l -> l != null && !l.isEmpty());
                });
                if (ready) {
                    return;
                }
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                    throw e;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("topics " + expected.keySet() + " not ready after " + timeout);
            }
            Thread.sleep(20);
        }
    }

    // --------------------------------------------------------------------------------------------------- clients

    /** Producer settings: byte[] key/value, {@code acks=all}, idempotent, {@code linger.ms=0}. */
    public Properties producerProps() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        return p;
    }

    /** {@link #producerProps()} plus a {@code transactional.id}. */
    public Properties transactionalProducerProps(String transactionalId) {
        Properties p = producerProps();
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        return p;
    }

    /**
     * Consumer settings: byte[] key/value, {@code auto.offset.reset=earliest}, no auto commit, Kafka's default
     * isolation ({@code read_uncommitted}). {@code groupId} may be null for assign()-only consumers.
     */
    public Properties consumerProps(String groupId) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        if (groupId != null) {
            p.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        }
        return p;
    }

    /** {@link #consumerProps(String)} with the given isolation level. */
    public Properties consumerProps(String groupId, IsolationLevel isolation) {
        Properties p = consumerProps(groupId);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation.name().toLowerCase(Locale.ROOT));
        return p;
    }

    /** A new producer from {@link #producerProps()}; closed by {@link #close()} unless closed earlier. */
    public KafkaProducer<byte[], byte[]> producer() {
        return track(new KafkaProducer<>(producerProps()));
    }

    /** A new producer from {@code props}; closed by {@link #close()} unless closed earlier. */
    public KafkaProducer<byte[], byte[]> producer(Properties props) {
        return track(new KafkaProducer<>(props));
    }

    /** A transactional producer, {@code initTransactions()} already called. */
    public KafkaProducer<byte[], byte[]> transactionalProducer(String transactionalId) {
        KafkaProducer<byte[], byte[]> p = track(new KafkaProducer<>(transactionalProducerProps(transactionalId)));
        p.initTransactions();
        return p;
    }

    /** A new consumer from {@link #consumerProps(String)}; closed by {@link #close()} unless closed earlier. */
    public KafkaConsumer<byte[], byte[]> consumer(String groupId) {
        return track(new KafkaConsumer<>(consumerProps(groupId)));
    }

    public KafkaConsumer<byte[], byte[]> consumer(Properties props) {
        return track(new KafkaConsumer<>(props));
    }

    private <T extends AutoCloseable> T track(T client) {
        clients.add(client);
        return client;
    }

    // ---------------------------------------------------------------------------------------------------- reading

    /**
     * Reads {@code topic} from the beginning of all its partitions with a fresh, group-less
     * {@code read_committed} consumer until at least {@code expectedAtLeast} records were read or
     * {@code timeout} passed; returns what it read (no assertion). Records of open or aborted transactions are
     * not returned, which is what a downstream consumer of an exactly-once sink sees.
     */
    public List<ConsumerRecord<byte[], byte[]>> drain(String topic, int expectedAtLeast, Duration timeout) {
        return drain(topic, expectedAtLeast, timeout, IsolationLevel.READ_COMMITTED);
    }

    /** {@link #drain(String, int, Duration)} with the given isolation level. */
    public List<ConsumerRecord<byte[], byte[]>> drain(String topic, int expectedAtLeast, Duration timeout,
                                                      IsolationLevel isolation) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(consumerProps(null, isolation))) {
            List<TopicPartition> tps = partitions(c, topic, deadline);
            c.assign(tps);
            c.seekToBeginning(tps);
            while (out.size() < expectedAtLeast) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                ConsumerRecords<byte[], byte[]> batch = c.poll(Duration.ofNanos(Math.min(left,
                        TimeUnit.MILLISECONDS.toNanos(200))));
                batch.forEach(out::add);
            }
        }
        return out;
    }

    /**
     * Reads everything {@code topic} holds now: snapshots the end offsets (for {@code read_committed}, the last
     * stable offsets) and reads from the beginning up to them, or until {@code timeout}. Does not wait for
     * records that are still to be written; use {@link #drain} for that.
     */
    public List<ConsumerRecord<byte[], byte[]>> readAll(String topic, Duration timeout) {
        return readAll(topic, timeout, IsolationLevel.READ_COMMITTED);
    }

    public List<ConsumerRecord<byte[], byte[]>> readAll(String topic, Duration timeout, IsolationLevel isolation) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(consumerProps(null, isolation))) {
            List<TopicPartition> tps = partitions(c, topic, deadline);
            c.assign(tps);
            c.seekToBeginning(tps);
            Map<TopicPartition, Long> end = c.endOffsets(tps, Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            while (System.nanoTime() < deadline
                    && end.entrySet().stream().anyMatch(e -> c.position(e.getKey()) < e.getValue())) {
                c.poll(Duration.ofMillis(100)).forEach(out::add);
            }
        }
        return out;
    }

    /**
     * Reads {@code topic} from the beginning until no new record arrived for {@code quietPeriod}, or until
     * {@code timeout}; for outputs whose final size is unknown.
     */
    public List<ConsumerRecord<byte[], byte[]>> readUntilQuiet(String topic, Duration quietPeriod, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(consumerProps(null, IsolationLevel.READ_COMMITTED))) {
            List<TopicPartition> tps = partitions(c, topic, deadline);
            c.assign(tps);
            c.seekToBeginning(tps);
            long lastNew = System.nanoTime();
            while (System.nanoTime() < deadline && System.nanoTime() - lastNew < quietPeriod.toNanos()) {
                ConsumerRecords<byte[], byte[]> batch = c.poll(Duration.ofMillis(50));
                if (!batch.isEmpty()) {
                    batch.forEach(out::add);
                    lastNew = System.nanoTime();
                }
            }
        }
        return out;
    }

    private static List<TopicPartition> partitions(KafkaConsumer<?, ?> c, String topic, long deadline) {
        while (true) {
            List<PartitionInfo> infos = null;
            try {
                infos = c.partitionsFor(topic, Duration.ofMillis(Math.max(1,
                        Math.min(2_000, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())))));
            } catch (org.apache.kafka.common.errors.TimeoutException e) {
                // retry below
            }
            if (infos != null && !infos.isEmpty()) {
                List<TopicPartition> tps = new ArrayList<>();
                infos.forEach(i -> tps.add(new TopicPartition(i.topic(), i.partition())));
                return tps;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("topic " + topic + " does not exist (auto-creation is off)");
            }
            sleep(50);
        }
    }

    // --------------------------------------------------------------------------------------------- stop / start

    /**
     * Shuts the broker down (controlled shutdown); the KRaft controller of the same node keeps running, the data
     * dir stays. Clients see the bootstrap port refuse connections until {@link #startBroker()}.
     */
    public synchronized void stopBroker() {
        ensureOpen();
        if (!brokerRunning) {
            return;
        }
        long t0 = System.nanoTime();
        broker().shutdown();
        brokerRunning = false;
        LOG.info("Embedded Kafka broker stopped in {} ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    }

    /**
     * Starts the broker again on the same port and data dir, and waits until it is unfenced and its metadata is
     * current.
     */
    public synchronized void startBroker() {
        ensureOpen();
        if (brokerRunning) {
            return;
        }
        long t0 = System.nanoTime();
        try {
            broker().startup();
            brokerRunning = true;
            cluster.waitForReadyBrokers();
        } catch (Exception e) {
            throw unchecked("restarting the broker", e);
        }
        String now = cluster.bootstrapServers();
        if (!now.equals(bootstrapServers)) {
            throw new IllegalStateException("broker came back on " + now + ", not " + bootstrapServers);
        }
        LOG.info("Embedded Kafka broker started again in {} ms",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    }

    /** {@link #stopBroker()} then {@link #startBroker()}. */
    public void restartBroker() {
        stopBroker();
        startBroker();
    }

    public boolean isBrokerRunning() {
        return brokerRunning;
    }

    private BrokerServer broker() {
        ensureInThisJvm();
        return cluster.brokers().get(brokerId);
    }

    private void ensureInThisJvm() {
        if (child != null) {
            throw new UnsupportedOperationException("the broker runs in its own process (pid " + child.pid()
                    + "): stopping, starting and the test kit are for a broker in this JVM");
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("EmbeddedKafka is closed");
        }
    }

    // ---------------------------------------------------------------------------------------------------- close

    /** Closes the clients it handed out, shuts broker and controller down and deletes the data dir. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        long t0 = System.nanoTime();
        for (AutoCloseable c : clients) {
            closeClient(c);
        }
        clients.clear();
        if (admin != null) {
            admin.close(Duration.ofSeconds(5));
        }
        if (child != null) {
            endChild();
        } else {
            closeQuietly(cluster, "cluster");
            deleteRecursively(baseDir);
        }
        LOG.info("Embedded Kafka closed in {} ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    }

    /** Closing its stdin ends the broker's process (it deletes its data dir); forcibly after 30 s. */
    private void endChild() {
        try {
            child.getOutputStream().close();
            if (!child.waitFor(30, TimeUnit.SECONDS)) {
                LOG.warn("The broker process {} did not end within 30 s of closing its stdin: killing it", child.pid());
                child.destroyForcibly();
            }
        } catch (IOException e) {
            child.destroyForcibly();
        } catch (InterruptedException e) {
            child.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private static void closeClient(AutoCloseable c) {
        try {
            if (c instanceof KafkaProducer<?, ?> p) {
                p.close(Duration.ofSeconds(5));
            } else if (c instanceof KafkaConsumer<?, ?> k) {
                k.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(5)));
            } else {
                c.close();
            }
        } catch (IllegalStateException alreadyClosed) {
            // closed by its user
        } catch (Exception e) {
            LOG.warn("Closing a Kafka client failed", e);
        }
    }

    private static void closeQuietly(AutoCloseable c, String what) {
        try {
            c.close();
        } catch (Exception e) {
            LOG.warn("Closing the embedded Kafka {} failed", what, e);
        }
    }

    private static void deleteRecursively(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                    if (e instanceof NoSuchFileException) {
                        return FileVisitResult.CONTINUE;
                    }
                    throw e;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                    Files.deleteIfExists(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            LOG.warn("Could not delete {}", dir, e);
        }
    }

    private static RuntimeException unchecked(String what, Exception e) {
        if (e instanceof InterruptedException) {
            Thread.currentThread().interrupt();
        }
        Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
        return new IllegalStateException("Embedded Kafka: " + what + " failed: " + cause, cause);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return "EmbeddedKafka[" + bootstrapServers + ", " + baseDir + "]";
    }

    /** A random, readable topic name for tests that share a broker. */
    public static String uniqueTopic(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }
}
