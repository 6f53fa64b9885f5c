package io.streaminfer.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.streaminfer.bridge.config.BridgeConfig;
import io.streaminfer.contract.Topics;
import io.streaminfer.job.InferenceJob;
import io.streaminfer.job.config.JobConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Parses every Kubernetes manifest under {@code deploy/k8s/} and the Dockerfiles under {@code deploy/docker/}, and
 * checks what must hold for the deployment to work: GPU requests consistent with Flink's GPU external resource and
 * the slot count, state and HA on object storage, the job's mounted config valid and consistent with the cluster's,
 * the contract's topics, the bridge's probes and autoscaler, and that the images run the jar and classes the build
 * makes. Nothing here needs a cluster or Docker; it keeps the manifests from rotting silently.
 */
class KubernetesManifestsTest {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String MAIN_CONTAINER = "flink-main-container";

    /** The apiVersion each kind must have (the CRDs and APIs deploy/README.md names). */
    private static final Map<String, String> API_VERSIONS = Map.of(
            "FlinkDeployment", "flink.apache.org/v1beta1",
            "Kafka", "kafka.strimzi.io/v1beta2",
            "KafkaNodePool", "kafka.strimzi.io/v1beta2",
            "KafkaTopic", "kafka.strimzi.io/v1beta2",
            "Deployment", "apps/v1",
            "Service", "v1",
            "ConfigMap", "v1",
            "HorizontalPodAutoscaler", "autoscaling/v2");

    private static Path root;
    private static Path k8s;
    /** Every document of every resource file listed in kustomization.yaml. */
    private static final List<JsonNode> RESOURCES = new ArrayList<>();
    private static JsonNode kustomization;
    private static Map<String, String> pomProperties;

    @BeforeAll
    static void load() throws IOException {
        Path p = Path.of("").toAbsolutePath();
        while (!Files.isDirectory(p.resolve("deploy/k8s"))) {
            p = p.getParent();
            assertThat(p).as("no deploy/k8s above the working directory").isNotNull();
        }
        root = p;
        k8s = root.resolve("deploy/k8s");
        List<JsonNode> kustomizations = documents(k8s.resolve("kustomization.yaml"));
        assertThat(kustomizations).hasSize(1);
        kustomization = kustomizations.get(0);
        for (JsonNode r : kustomization.path("resources")) {
            RESOURCES.addAll(documents(k8s.resolve(r.asText())));
        }
        pomProperties = pomProperties(root.resolve("pom.xml"));
    }

    // ---------------------------------------------------------------------------------------------------------
    // every file

    @Test
    void everyFileParsesAndKustomizationListsEveryManifest() throws IOException {
        Set<String> yamlFiles;
        try (Stream<Path> files = Files.list(k8s)) {
            yamlFiles = files.map(f -> f.getFileName().toString())
                    .filter(n -> n.endsWith(".yaml") || n.endsWith(".yml"))
                    .collect(Collectors.toCollection(TreeSet::new));
        }
        for (String f : yamlFiles) {
            assertThat(documents(k8s.resolve(f))).as(f + " has no YAML document").isNotEmpty();
        }
        Set<String> listed = new TreeSet<>();
        kustomization.path("resources").forEach(r -> listed.add(r.asText()));
        kustomization.path("configurations").forEach(r -> listed.add(r.asText()));
        listed.add("kustomization.yaml");
        assertThat(listed).as("kustomization.yaml lists every manifest (resources or configurations)")
                .isEqualTo(yamlFiles);
    }

    @Test
    void kindsAndApiVersionsAreTheExpectedOnesAndNamespaceAgnostic() {
        Map<String, Integer> counts = new HashMap<>();
        for (JsonNode doc : RESOURCES) {
            String kind = doc.path("kind").asText();
            assertThat(API_VERSIONS).as("unexpected kind '" + kind + "'").containsKey(kind);
            assertThat(doc.path("apiVersion").asText()).as(kind + " apiVersion").isEqualTo(API_VERSIONS.get(kind));
            assertThat(doc.path("metadata").path("name").asText()).as(kind + " has a name").isNotBlank();
            assertThat(doc.path("metadata").has("namespace"))
                    .as(kind + " " + name(doc) + " names a namespace: leave it to kubectl -n / kustomize").isFalse();
            counts.merge(kind, 1, Integer::sum);
        }
        assertThat(counts).containsEntry("FlinkDeployment", 1).containsEntry("Kafka", 1)
                .containsEntry("KafkaTopic", 10).containsEntry("Deployment", 1).containsEntry("Service", 1)
                .containsEntry("HorizontalPodAutoscaler", 1).containsEntry("ConfigMap", 2)
                .containsKey("KafkaNodePool");
    }

    // ---------------------------------------------------------------------------------------------------------
    // the Flink job

    @Test
    void taskManagersRequestOneGpuPerSlotAndFlinkKnowsTheGpus() {
        JsonNode spec = one("FlinkDeployment").path("spec");
        Map<String, String> conf = flinkConf();
        assertThat(Arrays.asList(conf.getOrDefault("external-resources", "").split("[;,]")))
                .as("external-resources").contains("gpu");
        assertThat(conf).containsEntry("external-resource.gpu.driver-factory.class",
                        "org.apache.flink.externalresource.gpu.GPUDriverFactory")
                .containsEntry("external-resource.gpu.kubernetes.config-key", "nvidia.com/gpu")
                .containsEntry("external-resource.gpu.param.discovery-script.path",
                        "plugins/external-resource-gpu/nvidia-gpu-discovery.sh");
        int gpus = Integer.parseInt(conf.get("external-resource.gpu.amount"));
        assertThat(gpus).isPositive();
        assertThat(Integer.parseInt(conf.get("taskmanager.numberOfTaskSlots"))).as("one slot per GPU").isEqualTo(gpus);

        JsonNode tm = mainContainer(spec.path("taskManager"));
        assertThat(tm.path("resources").path("limits").path("nvidia.com/gpu").asInt(-1))
                .as("task manager GPU limit = external-resource.gpu.amount").isEqualTo(gpus);
        assertThat(tm.path("resources").path("requests").path("nvidia.com/gpu").asInt(-1))
                .as("task manager GPU request = external-resource.gpu.amount").isEqualTo(gpus);
        JsonNode jm = mainContainer(spec.path("jobManager"));
        assertThat(jm.path("resources").path("limits").has("nvidia.com/gpu")).as("no GPU for the JobManager").isFalse();

        int parallelism = spec.path("job").path("parallelism").asInt();
        assertThat(parallelism % gpus).as("parallelism = task managers x GPUs each").isZero();
        // DJL's natives can be loaded by one classloader only: DJL must resolve from lib/, never the job jar.
        assertThat(conf.get("classloader.parent-first-patterns.additional")).contains("ai.djl.");
        assertThat(conf.get("env.java.opts.all")).contains("-Dai.djl.offline=true");
    }

    @Test
    void rocksDbOnALocalVolumeSnapshotsOnObjectStorageAndHighAvailability() {
        JsonNode spec = one("FlinkDeployment").path("spec");
        Map<String, String> conf = flinkConf();
        assertThat(conf).containsEntry("state.backend.type", "rocksdb")
                .containsEntry("high-availability.type", "kubernetes");
        for (String key : List.of("execution.checkpointing.dir", "execution.checkpointing.savepoint-dir",
                "high-availability.storageDir")) {
            assertThat(conf.get(key)).as(key + " on object storage").startsWith("s3://");
        }
        String localDir = conf.get("state.backend.rocksdb.localdir");
        assertThat(localDir).as("state.backend.rocksdb.localdir").isNotBlank();
        JsonNode tmPod = spec.path("taskManager").path("podTemplate").path("spec");
        JsonNode volume = volumeMountedAt(tmPod, mainContainer(spec.path("taskManager")), localDir);
        assertThat(volume.has("emptyDir") || volume.has("hostPath") || volume.has("ephemeral")
                || volume.has("persistentVolumeClaim")).as("RocksDB's directory is a local volume: " + volume).isTrue();

        // The s3:// scheme needs an S3 file system plugin, enabled by the official image's entrypoint.
        String s3Plugin = "flink-s3-fs-(hadoop|presto)-" + Pattern.quote(pomProperties.get("flink.version")) + "\\.jar";
        for (String component : List.of("jobManager", "taskManager")) {
            assertThat(env(mainContainer(spec.path(component)), "ENABLE_BUILT_IN_PLUGINS"))
                    .as(component + " ENABLE_BUILT_IN_PLUGINS").containsPattern(s3Plugin);
        }
        assertThat(spec.path("job").path("upgradeMode").asText()).isEqualTo("savepoint");
        assertThat(conf.get("restart-strategy.type")).isNotBlank();
        assertThat(millis(conf.get("heartbeat.timeout"))).as("heartbeat.timeout > heartbeat.interval")
                .isGreaterThan(millis(conf.get("heartbeat.interval")));
    }

    @Test
    void prometheusReporterIsOnAndItsPortIsExposed() {
        Map<String, String> conf = flinkConf();
        assertThat(conf).containsEntry("metrics.reporter.prom.factory.class",
                "org.apache.flink.metrics.prometheus.PrometheusReporterFactory");
        int port = Integer.parseInt(conf.get("metrics.reporter.prom.port"));
        JsonNode spec = one("FlinkDeployment").path("spec");
        for (String component : List.of("jobManager", "taskManager")) {
            assertThat(containerPorts(mainContainer(spec.path(component))))
                    .as(component + " exposes the reporter port").containsValue(port);
        }
    }

    @Test
    void jobRunsInferenceJobWithTheMountedConfig() throws IOException {
        JsonNode spec = one("FlinkDeployment").path("spec");
        JsonNode job = spec.path("job");
        assertThat(job.path("entryClass").asText()).isEqualTo(InferenceJob.class.getName());
        assertThat(job.path("jarURI").asText()).isEqualTo("local://" + jobJarInImage());
        assertThat(spec.path("flinkVersion").asText()).as("flinkVersion = the build's Flink")
                .isEqualTo("v" + pomProperties.get("flink.version").replaceAll("^(\\d+)\\.(\\d+).*", "$1_$2"));
        assertThat(spec.path("image").asText()).startsWith("streaminfer-job");

        List<String> args = texts(job.path("args"));
        assertThat(args).hasSize(2).first().isEqualTo("--config");
        String configPath = args.get(1);
        // In application mode main() runs in the JobManager: the config must be mounted there.
        Path inContainer = Path.of(configPath);
        JsonNode volume = volumeMountedAt(spec.path("jobManager").path("podTemplate").path("spec"),
                mainContainer(spec.path("jobManager")), inContainer.getParent().toString());
        String configMapName = volume.path("configMap").path("name").asText();
        JsonNode configMap = named("ConfigMap", configMapName);
        assertThat(configMap.path("data").has(inContainer.getFileName().toString()))
                .as("ConfigMap " + configMapName + " has the key the job args name").isTrue();
    }

    @Test
    void theMountedJobConfigIsValidAndAgreesWithTheCluster() throws IOException {
        JobConfig job = jobConfig();   // parse() runs JobConfig.validate()
        Map<String, String> conf = flinkConf();
        JsonNode spec = one("FlinkDeployment").path("spec");

        // The job sets these itself and so overrides the cluster: they must agree.
        assertThat(job.checkpointing.dir).isEqualTo(conf.get("execution.checkpointing.dir"));
        assertThat(job.state.rocksdbLocalDir).isIn(null, conf.get("state.backend.rocksdb.localdir"));
        assertThat(job.execution.parallelism).isEqualTo(spec.path("job").path("parallelism").asInt());
        assertThat(String.valueOf(job.execution.restartAttempts))
                .isEqualTo(conf.get("restart-strategy.fixed-delay.attempts"));
        assertThat(millis(conf.get("restart-strategy.fixed-delay.delay"))).isEqualTo(job.execution.restartDelayMs);

        // The model repository is the one baked into the job image; what it names exists in deploy/models.
        assertThat(job.models.dir).isEqualTo(modelsDirInImage("job.Dockerfile"));
        Set<String> named = new TreeSet<>(job.batching.perModel.keySet());
        if (!job.servedModels().isAll()) {
            named.addAll(job.servedModels().names());
        }
        for (String model : named) {
            assertThat(root.resolve("deploy/models").resolve(model).resolve("model.yaml")).as(model).isRegularFile();
        }

        // Kafka: Strimzi's bootstrap service and the topics that kafka-topics.yaml creates.
        assertThat(job.kafka.bootstrapServers).isEqualTo(bootstrapServers());
        assertThat(topicNames()).contains(job.topics.requests, job.topics.results, job.topics.status,
                job.topics.deadLetters);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Kafka

    @Test
    void theTopicsOfTheContractWithCompactionWhereTheContractSaysSo() {
        String cluster = one("Kafka").path("metadata").path("name").asText();
        int brokers = 0;
        Set<String> roles = new TreeSet<>();
        for (JsonNode pool : all("KafkaNodePool")) {
            assertThat(pool.path("metadata").path("labels").path("strimzi.io/cluster").asText()).isEqualTo(cluster);
            List<String> poolRoles = texts(pool.path("spec").path("roles"));
            roles.addAll(poolRoles);
            if (poolRoles.contains("broker")) {
                brokers += pool.path("spec").path("replicas").asInt();
            }
        }
        assertThat(roles).as("KRaft: controllers and brokers in node pools").contains("controller", "broker");
        assertThat(one("Kafka").path("spec").has("zookeeper")).as("KRaft, no ZooKeeper").isFalse();

        Map<String, JsonNode> topics = topicsByName();
        assertThat(topics.keySet()).containsExactlyInAnyOrder(Topics.REQUESTS, Topics.RESULTS, Topics.STATUS,
                Topics.DEAD_LETTERS, Topics.CALLBACKS, Topics.TOKENS, Topics.CONTROL, Topics.FILES,
                Topics.FILE_CHUNKS, Topics.BATCHES);
        for (Map.Entry<String, JsonNode> t : topics.entrySet()) {
            JsonNode topic = t.getValue();
            JsonNode spec = topic.path("spec");
            if (Topics.carriesPayloads(t.getKey())) {
                assertThat(spec.path("config").path("max.message.bytes").asInt()).as(t.getKey()
                        + " takes requests and results of up to Topics.MAX_MESSAGE_BYTES")
                        .isEqualTo(Topics.MAX_MESSAGE_BYTES);
            }
            String policy = spec.path("config").path("cleanup.policy").asText("delete");
            assertThat(Arrays.asList(policy.split(","))).as(t.getKey() + " cleanup.policy")
                    .matches(p -> p.contains("compact") == Topics.isCompacted(t.getKey()));
            assertThat(topic.path("metadata").path("labels").path("strimzi.io/cluster").asText())
                    .as(t.getKey() + " belongs to the Kafka cluster").isEqualTo(cluster);
            int replicas = spec.path("replicas").asInt();
            assertThat(replicas).as(t.getKey() + " replicas").isBetween(1, brokers);
            if (replicas > 1) {
                assertThat(spec.path("config").path("min.insync.replicas").asInt(1))
                        .as(t.getKey() + " min.insync.replicas < replicas (writes go on with one broker down)")
                        .isLessThan(replicas);
            }
            assertThat(spec.path("partitions").asInt()).as(t.getKey() + " partitions").isPositive();
        }
        int parallelism = one("FlinkDeployment").path("spec").path("job").path("parallelism").asInt();
        assertThat(topics.get(Topics.REQUESTS).path("spec").path("partitions").asInt())
                .as("request partitions >= the job's parallelism").isGreaterThanOrEqualTo(parallelism);
        assertThat(topics.get(Topics.RESULTS).path("spec").path("partitions").asInt())
                .as("result partitions >= the bridge's maximum replicas")
                .isGreaterThanOrEqualTo(one("HorizontalPodAutoscaler").path("spec").path("maxReplicas").asInt());
    }

    // ---------------------------------------------------------------------------------------------------------
    // the bridge

    @Test
    void bridgeDeploymentProbesResourcesSecretsServiceAndAutoscaler() throws IOException {
        JsonNode deployment = one("Deployment");
        JsonNode pod = deployment.path("spec").path("template");
        assertThat(pod.path("spec").path("containers")).hasSize(1);
        JsonNode c = pod.path("spec").path("containers").get(0);
        Map<String, Integer> ports = containerPorts(c);
        int httpPort = bridgeConfig().path("http").path("port").asInt(8080);
        assertThat(ports).as("the container exposes the bridge's http.port").containsValue(httpPort);

        assertThat(probe(c, "readinessProbe", ports)).isEqualTo("/v2/health/ready:" + httpPort);
        assertThat(probe(c, "livenessProbe", ports)).isEqualTo("/v2/health/live:" + httpPort);
        for (String resource : List.of("cpu", "memory")) {
            assertThat(c.path("resources").path("requests").path(resource).asText())
                    .as("resources.requests." + resource).isNotBlank();
        }
        assertThat(c.path("resources").path("limits").path("memory").asText()).isNotBlank();
        for (String secretEnv : List.of("STREAMINFER_BRIDGE_TOKENS", "STREAMINFER_CALLBACK_SECRET")) {
            assertThat(envVar(c, secretEnv).path("valueFrom").path("secretKeyRef").path("name").asText())
                    .as(secretEnv + " comes from a Secret").isNotBlank();
        }
        // The config file the args name is the bridge ConfigMap's key, mounted where the args say.
        List<String> args = texts(c.path("args"));
        assertThat(args).hasSize(2).first().isEqualTo("--config");
        Path configPath = Path.of(args.get(1));
        JsonNode volume = volumeMountedAt(pod.path("spec"), c, configPath.getParent().toString());
        assertThat(named("ConfigMap", volume.path("configMap").path("name").asText()).path("data")
                .has(configPath.getFileName().toString())).isTrue();
        assertThat(deployment.path("spec").has("replicas")).as("the HPA owns the replica count").isFalse();

        JsonNode service = one("Service");
        service.path("spec").path("selector").properties().forEach(e -> assertThat(
                pod.path("metadata").path("labels").path(e.getKey()).asText())
                .as("Service selector " + e.getKey()).isEqualTo(e.getValue().asText()));
        for (JsonNode p : service.path("spec").path("ports")) {
            JsonNode target = p.path("targetPort");
            assertThat(target.isInt() ? target.asInt() : ports.get(target.asText()))
                    .as("Service targetPort " + target).isEqualTo(httpPort);
        }

        JsonNode hpa = one("HorizontalPodAutoscaler").path("spec");
        assertThat(hpa.path("scaleTargetRef").path("kind").asText()).isEqualTo("Deployment");
        assertThat(hpa.path("scaleTargetRef").path("apiVersion").asText()).isEqualTo("apps/v1");
        assertThat(hpa.path("scaleTargetRef").path("name").asText()).isEqualTo(name(deployment));
        assertThat(hpa.path("minReplicas").asInt()).isBetween(1, hpa.path("maxReplicas").asInt());
        assertThat(hpa.path("metrics")).isNotEmpty();
    }

    @Test
    void bridgeConfigAgreesWithTheJobAndTheTopics() throws IOException {
        JsonNode bridge = bridgeConfig();
        JobConfig job = jobConfig();
        assertThat(bridge.path("models-dir").asText()).isEqualTo(modelsDirInImage("bridge.Dockerfile"));
        assertThat(bridge.path("kafka").path("bootstrap-servers").asText()).isEqualTo(bootstrapServers());
        assertThat(bridge.path("kafka").path("job-group-id").asText())
                .as("the bridge's readiness watches the job's consumer group").isEqualTo(job.kafka.groupId);
        JsonNode topics = bridge.path("topics");
        assertThat(topics.path("requests").asText(Topics.REQUESTS)).isEqualTo(job.topics.requests);
        assertThat(topics.path("results").asText(Topics.RESULTS)).isEqualTo(job.topics.results);
        assertThat(topics.path("status").asText(Topics.STATUS)).isEqualTo(job.topics.status);
        assertThat(topicNames()).contains(topics.path("callbacks").asText(Topics.CALLBACKS),
                topics.path("files").asText(Topics.FILES), topics.path("file-chunks").asText(Topics.FILE_CHUNKS),
                topics.path("batches").asText(Topics.BATCHES));
    }

    /**
     * Runs the bridge's own validation on the ConfigMap's YAML (with the repository's model folder standing in for
     * the image's, and the Secret's variables set).
     */
    @Test
    void bridgeConfigPassesTheBridgesValidation() throws Exception {
        String yaml = configMapData("streaminfer-bridge-config", "bridge.yaml")
                .replace(modelsDirInImage("bridge.Dockerfile"), root.resolve("deploy/models").toString());
        Map<String, String> env = Map.of("STREAMINFER_BRIDGE_TOKENS", "token-0123456789abcdef",
                "STREAMINFER_CALLBACK_SECRET", "secret-0123456789abcdef", "HOSTNAME", "streaminfer-bridge-0");
        try {
            BridgeConfig.parse(yaml, env);
        } catch (IllegalArgumentException e) {
            fail("deploy/k8s/bridge-config.yaml is refused by BridgeConfig: " + e.getMessage(), e);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // the images

    @Test
    void jobImageIsOfficialFlinkWithTheJobJarDjlOnLibAndTheGpuPlugin() throws IOException {
        List<String[]> df = dockerfile("job.Dockerfile");
        String flinkImage = arg(df, "FLINK_IMAGE");
        assertThat(flinkImage).as("the official Flink image of the build's version, Java 17")
                .isEqualTo("flink:" + pomProperties.get("flink.version") + "-java17");
        assertThat(instructions(df, "FROM")).allMatch(f -> f.startsWith("${FLINK_IMAGE}"));

        // The jar the shade plugin attaches as classifier "job", whose manifest names InferenceJob.
        String pom = Files.readString(root.resolve("pipeline-job/pom.xml"));
        assertThat(pom).contains("<shadedClassifierName>job</shadedClassifierName>")
                .contains("<mainClass>" + InferenceJob.class.getName() + "</mainClass>");
        assertThat(copySource(df, jobJarInImage())).isEqualTo("pipeline-job/target/pipeline-job-*-job.jar");

        // DJL on the parent classpath, staged by deploy/docker/djl-lib (which must exist).
        assertThat(copySource(df, "/opt/flink/lib/")).isEqualTo("deploy/docker/djl-lib/target/lib/");
        assertThat(root.resolve("deploy/docker/djl-lib/pom.xml")).isRegularFile();
        // libtorch and JNI versions are the build's; pytorch-jni carries the JNI of the flavor the image installs.
        assertThat(arg(df, "PYTORCH_VERSION")).isEqualTo(pomProperties.get("pytorch-native.version"));
        assertThat(arg(df, "DJL_VERSION")).isEqualTo(pomProperties.get("djl.version"));
        assertThat(pomProperties.get("pytorch-jni.version"))
                .isEqualTo(arg(df, "PYTORCH_VERSION") + "-" + arg(df, "DJL_VERSION"));
        String jni = "/jnilib/linux-x86_64/" + arg(df, "PYTORCH_FLAVOR") + "/libdjl_torch.so";
        assertThat(KubernetesManifestsTest.class.getResource(jni)).as("pytorch-jni has " + jni).isNotNull();

        String text = Files.readString(root.resolve("deploy/docker/job.Dockerfile"));
        assertThat(text).contains("plugins/external-resource-gpu", "nvidia-gpu-discovery.sh",
                "metrics-prometheus", "PYTORCH_LIBRARY_PATH");
        assertThat(instructions(df, "USER")).last().isEqualTo("flink");
    }

    @Test
    void bridgeImageRunsTheBridgeAsNonRootOnItsPort() throws IOException {
        List<String[]> df = dockerfile("bridge.Dockerfile");
        assertThat(instructions(df, "FROM")).singleElement().asString().startsWith("eclipse-temurin:17-jre");
        String user = instructions(df, "USER").get(instructions(df, "USER").size() - 1);
        assertThat(user).isNotIn("root", "0", "0:0");
        JsonNode pod = one("Deployment").path("spec").path("template").path("spec");
        assertThat(pod.path("securityContext").path("runAsUser").asText()).isEqualTo(user.split(":")[0]);
        assertThat(instructions(df, "EXPOSE")).containsExactly(
                String.valueOf(bridgeConfig().path("http").path("port").asInt(8080)));
        assertThat(copySource(df, "/opt/streaminfer/bridge/classes/")).isEqualTo("sync-bridge/target/classes/");
        assertThat(copySource(df, "/opt/streaminfer/bridge/lib/")).isEqualTo("sync-bridge/target/lib/");

        List<String> entrypoint = texts(JSON.readTree(instructions(df, "ENTRYPOINT").get(0)));
        String mainClass = entrypoint.get(entrypoint.size() - 1);
        assertThat(mainClass).isEqualTo("io.streaminfer.bridge.BridgeMain");
        List<String> cmd = texts(JSON.readTree(instructions(df, "CMD").get(0)));
        assertThat(cmd).as("the image's default config path is the one the Deployment mounts")
                .isEqualTo(texts(pod.path("containers").get(0).path("args")));
    }

    /** The class the bridge image runs is a main class of sync-bridge. */
    @Test
    void bridgeImageRunsTheBridgesMainClass() throws IOException {
        List<String> entrypoint = texts(JSON.readTree(instructions(dockerfile("bridge.Dockerfile"), "ENTRYPOINT")
                .get(0)));
        List<String> mains = mainClasses(root.resolve("sync-bridge/src/main/java"));
        assertThat(mains).as("main classes of sync-bridge").contains(entrypoint.get(entrypoint.size() - 1));
    }

    // ---------------------------------------------------------------------------------------------------------
    // helpers: manifests

    private static List<JsonNode> documents(Path file) throws IOException {
        List<JsonNode> docs = new ArrayList<>();
        try (var it = YAML.readerFor(JsonNode.class).readValues(Files.readString(file))) {
            while (it.hasNext()) {
                JsonNode doc = (JsonNode) it.next();
                if (doc != null && !doc.isNull() && !doc.isMissingNode()) {
                    docs.add(doc);
                }
            }
        }
        return docs;
    }

    private static List<JsonNode> all(String kind) {
        return RESOURCES.stream().filter(d -> kind.equals(d.path("kind").asText())).collect(Collectors.toList());
    }

    private static JsonNode one(String kind) {
        List<JsonNode> found = all(kind);
        assertThat(found).as("exactly one " + kind).hasSize(1);
        return found.get(0);
    }

    private static JsonNode named(String kind, String name) {
        return all(kind).stream().filter(d -> name.equals(name(d))).findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind + " named '" + name + "'"));
    }

    private static String name(JsonNode doc) {
        return doc.path("metadata").path("name").asText();
    }

    private static Map<String, String> flinkConf() {
        Map<String, String> conf = new LinkedHashMap<>();
        one("FlinkDeployment").path("spec").path("flinkConfiguration").properties().forEach(e -> {
            assertThat(e.getValue().isTextual()).as("flinkConfiguration." + e.getKey() + " must be a string "
                    + "(the CRD's map of strings): quote it").isTrue();
            conf.put(e.getKey(), e.getValue().asText());
        });
        return conf;
    }

    /** Flink's container in a jobManager/taskManager spec's pod template. */
    private static JsonNode mainContainer(JsonNode component) {
        for (JsonNode c : component.path("podTemplate").path("spec").path("containers")) {
            if (MAIN_CONTAINER.equals(c.path("name").asText())) {
                return c;
            }
        }
        throw new AssertionError("no " + MAIN_CONTAINER + " in " + component.path("podTemplate"));
    }

    /** The pod's volume that the container mounts at exactly {@code path}. */
    private static JsonNode volumeMountedAt(JsonNode podSpec, JsonNode container, String path) {
        for (JsonNode m : container.path("volumeMounts")) {
            if (Path.of(m.path("mountPath").asText()).equals(Path.of(path))) {
                for (JsonNode v : podSpec.path("volumes")) {
                    if (v.path("name").asText().equals(m.path("name").asText())) {
                        return v;
                    }
                }
                throw new AssertionError("volume '" + m.path("name").asText() + "' is mounted but not defined");
            }
        }
        throw new AssertionError("nothing is mounted at " + path + " in container " + container.path("name"));
    }

    private static Map<String, Integer> containerPorts(JsonNode container) {
        Map<String, Integer> ports = new LinkedHashMap<>();
        for (JsonNode p : container.path("ports")) {
            ports.put(p.path("name").asText(String.valueOf(p.path("containerPort").asInt())),
                    p.path("containerPort").asInt());
        }
        return ports;
    }

    /** "path:port" of an httpGet probe, with a named port resolved. */
    private static String probe(JsonNode container, String probe, Map<String, Integer> ports) {
        JsonNode get = container.path(probe).path("httpGet");
        assertThat(get.isMissingNode()).as(probe + " is an httpGet probe").isFalse();
        JsonNode port = get.path("port");
        Integer number = port.isInt() ? Integer.valueOf(port.asInt()) : ports.get(port.asText());
        return get.path("path").asText() + ":" + number;
    }

    private static JsonNode envVar(JsonNode container, String name) {
        for (JsonNode e : container.path("env")) {
            if (name.equals(e.path("name").asText())) {
                return e;
            }
        }
        throw new AssertionError("no env " + name + " in container " + container.path("name"));
    }

    private static String env(JsonNode container, String name) {
        return envVar(container, name).path("value").asText();
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static String configMapData(String configMap, String key) {
        String data = named("ConfigMap", configMap).path("data").path(key).asText(null);
        assertThat(data).as("ConfigMap " + configMap + " key " + key).isNotNull();
        return data;
    }

    /** The job config that the FlinkDeployment's args name, parsed and validated by the job's own code. */
    private static JobConfig jobConfig() {
        List<String> args = texts(one("FlinkDeployment").path("spec").path("job").path("args"));
        return JobConfig.parse(configMapData("streaminfer-job-config", Path.of(args.get(1)).getFileName().toString()));
    }

    private static JsonNode bridgeConfig() throws IOException {
        return YAML.readTree(configMapData("streaminfer-bridge-config", "bridge.yaml"));
    }

    private static Map<String, JsonNode> topicsByName() {
        Map<String, JsonNode> topics = new LinkedHashMap<>();
        for (JsonNode t : all("KafkaTopic")) {
            String topicName = t.path("spec").path("topicName").asText(name(t));
            assertThat(topics.put(topicName, t)).as("topic " + topicName + " defined twice").isNull();
        }
        return topics;
    }

    private static Set<String> topicNames() {
        return topicsByName().keySet();
    }

    /** host:port of Strimzi's bootstrap service for the Kafka resource's plain listener. */
    private static String bootstrapServers() {
        JsonNode kafka = one("Kafka");
        for (JsonNode l : kafka.path("spec").path("kafka").path("listeners")) {
            if ("internal".equals(l.path("type").asText()) && !l.path("tls").asBoolean()) {
                return name(kafka) + "-kafka-bootstrap:" + l.path("port").asInt();
            }
        }
        throw new AssertionError("the Kafka resource has no internal plain listener");
    }

    private static long millis(String duration) {
        Matcher m = Pattern.compile("\\s*(\\d+)\\s*(ms|s|min)?\\s*").matcher(duration);
        assertThat(m.matches()).as("a duration in ms, s or min: " + duration).isTrue();
        long n = Long.parseLong(m.group(1));
        return m.group(2) == null || "ms".equals(m.group(2)) ? n : "s".equals(m.group(2)) ? n * 1000 : n * 60_000;
    }

    private static Map<String, String> pomProperties(Path pom) throws IOException {
        Map<String, String> props = new HashMap<>();
        Matcher m = Pattern.compile("<([a-z.-]+\\.version)>([^<]+)</\\1>").matcher(Files.readString(pom));
        while (m.find()) {
            props.putIfAbsent(m.group(1), m.group(2).trim());
        }
        assertThat(props).containsKeys("flink.version", "djl.version", "pytorch-native.version",
                "pytorch-jni.version");
        return props;
    }

    // ---------------------------------------------------------------------------------------------------------
    // helpers: Dockerfiles

    /** Instructions as {KEYWORD, arguments}, continuation lines joined, comments dropped. */
    private static List<String[]> dockerfile(String name) throws IOException {
        List<String[]> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : Files.readAllLines(root.resolve("deploy/docker").resolve(name))) {
            String t = line.strip();
            if (t.startsWith("#") || (t.isEmpty() && current.length() == 0)) {
                continue;
            }
            if (t.endsWith("\\")) {
                current.append(t, 0, t.length() - 1).append(' ');
                continue;
            }
            current.append(t);
            String instruction = current.toString().strip();
            current.setLength(0);
            if (!instruction.isEmpty()) {
                String[] parts = instruction.split("\\s+", 2);
                out.add(new String[] {parts[0].toUpperCase(), parts.length > 1 ? parts[1].strip() : ""});
            }
        }
        return out;
    }

    private static List<String> instructions(List<String[]> df, String keyword) {
        return df.stream().filter(i -> i[0].equals(keyword)).map(i -> i[1]).collect(Collectors.toList());
    }

    /** An ARG's default value. */
    private static String arg(List<String[]> df, String name) {
        for (String a : instructions(df, "ARG")) {
            if (a.startsWith(name + "=")) {
                return a.substring(name.length() + 1);
            }
        }
        throw new AssertionError("no ARG " + name + "=<default>");
    }

    /** The source of the COPY (from the build context, not another stage) whose destination is {@code dest}. */
    private static String copySource(List<String[]> df, String dest) {
        for (String c : instructions(df, "COPY")) {
            List<String> words = Arrays.stream(c.split("\\s+")).filter(w -> !w.startsWith("--"))
                    .collect(Collectors.toList());
            if (c.contains("--from=") || words.size() != 2) {
                continue;
            }
            if (words.get(1).equals(dest)) {
                return words.get(0);
            }
        }
        throw new AssertionError("no COPY to " + dest);
    }

    /** Where the job image puts the shaded job jar (the COPY from pipeline-job/target). */
    private static String jobJarInImage() throws IOException {
        for (String c : instructions(dockerfile("job.Dockerfile"), "COPY")) {
            String[] words = Arrays.stream(c.split("\\s+")).filter(w -> !w.startsWith("--")).toArray(String[]::new);
            if (words.length == 2 && words[0].startsWith("pipeline-job/target/")) {
                return words[1];
            }
        }
        throw new AssertionError("job.Dockerfile copies no jar from pipeline-job/target");
    }

    /** Where an image puts deploy/models, without the trailing slash. */
    private static String modelsDirInImage(String dockerfile) throws IOException {
        for (String c : instructions(dockerfile(dockerfile), "COPY")) {
            String[] words = Arrays.stream(c.split("\\s+")).filter(w -> !w.startsWith("--")).toArray(String[]::new);
            if (words.length == 2 && words[0].replaceAll("/$", "").equals("deploy/models")) {
                return words[1].replaceAll("/$", "");
            }
        }
        throw new AssertionError(dockerfile + " does not copy deploy/models");
    }

    /** Fully qualified names of the classes under {@code sources} that declare {@code static void main}. */
    private static List<String> mainClasses(Path sources) throws IOException {
        if (!Files.isDirectory(sources)) {
            return List.of();
        }
        Pattern main = Pattern.compile("static\\s+void\\s+main\\s*\\(");
        try (Stream<Path> files = Files.walk(sources)) {
            List<String> mains = new ArrayList<>();
            for (Path f : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".java"))::iterator) {
                if (main.matcher(Files.readString(f)).find()) {
                    String rel = sources.relativize(f).toString();
                    mains.add(rel.substring(0, rel.length() - ".java".length()).replace('/', '.'));
                }
            }
            return mains;
        }
    }
}
