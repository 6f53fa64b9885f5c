package io.streaminfer;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import org.apache.flink.annotation.Internal;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The module rules, held on the main classes of every module (this module's test classpath has them all): the
 * model runtime knows nothing of Flink, the batcher nothing of HTTP or Flink, the bridge nothing of Flink, DJL or the
 * operators, the contract nothing but Jackson; nothing reaches into another package's {@code internal}; the job
 * assembles the operators only through the topology, never using what operators marks {@link Internal}.
 */
class ArchitectureTest {
    static JavaClasses main;

    @BeforeAll
    static void importMainClasses() {
        main = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.streaminfer");
    }

    @Test
    void everyModuleIsImported() {
        for (String pkg : new String[] {"io.streaminfer.contract", "io.streaminfer.runtime",
                "io.streaminfer.batching", "io.streaminfer.flink.topology", "io.streaminfer.bridge",
                "io.streaminfer.job"}) {
            classes().that().resideInAPackage(pkg + "..").should().bePublic().orShould().notBePublic()
                    .as("classes of " + pkg + " are imported").allowEmptyShould(false).check(main);
        }
    }

    @Test
    void theModelRuntimeKnowsNothingOfFlink() {
        noClasses().that().resideInAPackage("io.streaminfer.runtime..")
                .should().dependOnClassesThat().resideInAnyPackage("org.apache.flink..", "io.streaminfer.flink..",
                        "io.streaminfer.job..", "io.streaminfer.bridge..")
                .check(main);
    }

    @Test
    void theBatcherKnowsNothingOfHttpNorFlink() {
        noClasses().that().resideInAPackage("io.streaminfer.batching..")
                .should().dependOnClassesThat().resideInAnyPackage("io.vertx..", "io.grpc..", "java.net.http..",
                        "com.sun.net.httpserver..", "org.apache.flink..", "io.streaminfer.bridge..",
                        "io.streaminfer.flink..")
                .check(main);
    }

    @Test
    void theGenerationEngineKnowsNothingOfFlinkKafkaHttpNorDjl() {
        noClasses().that().resideInAPackage("io.streaminfer.generation..")
                .should().dependOnClassesThat().resideInAnyPackage("org.apache.flink..", "org.apache.kafka..",
                        "io.vertx..", "io.grpc..", "ai.djl..", "io.streaminfer.flink..", "io.streaminfer.runtime..",
                        "io.streaminfer.job..", "io.streaminfer.bridge..")
                .check(main);
    }

    @Test
    void theBridgeKnowsNothingOfFlinkDjlOrTheOperators() {
        noClasses().that().resideInAPackage("io.streaminfer.bridge..")
                .should().dependOnClassesThat().resideInAnyPackage("org.apache.flink..", "ai.djl..",
                        "io.streaminfer.flink..", "io.streaminfer.runtime..", "io.streaminfer.batching..",
                        "io.streaminfer.job..")
                .check(main);
    }

    @Test
    void theContractIsJacksonAndTheJdkAlone() {
        classes().that().resideInAPackage("io.streaminfer.contract..")
                .should().onlyDependOnClassesThat().resideInAnyPackage("io.streaminfer.contract..", "java..",
                        "com.fasterxml.jackson..")
                .check(main);
    }

    @Test
    void nothingReachesIntoAnotherPackagesInternal() {
        classes().should(stayOutOfOtherPackagesInternals()).check(main);
    }

    @Test
    void theJobAssemblesTheOperatorsThroughTheTopologyAlone() {
        noClasses().that().resideInAPackage("io.streaminfer.job..")
                .should().dependOnClassesThat(DescribedPredicate.describe("are streaminfer classes marked @Internal",
                        (JavaClass c) -> c.getPackageName().startsWith("io.streaminfer.")
                                && c.isAnnotatedWith(Internal.class)))
                .check(main);
    }

    /**
     * A class in {@code a.b.internal} (or below it) is {@code a.b}'s implementation: only classes in {@code a.b} and
     * its subpackages may use it.
     */
    static ArchCondition<JavaClass> stayOutOfOtherPackagesInternals() {
        return new ArchCondition<>("stay out of other packages' internal classes") {
            @Override
            public void check(JavaClass origin, ConditionEvents events) {
                for (Dependency d : origin.getDirectDependenciesFromSelf()) {
                    String target = d.getTargetClass().getPackageName();
                    int internal = target.indexOf(".internal");
                    if (!target.startsWith("io.streaminfer.") || internal < 0) {
                        continue;
                    }
                    String owner = target.substring(0, internal);
                    String from = origin.getPackageName();
                    if (!from.equals(owner) && !from.startsWith(owner + ".")) {
                        events.add(SimpleConditionEvent.violated(d, d.getDescription() + ": " + target
                                + " is " + owner + "'s own"));
                    }
                }
            }
        };
    }
}
