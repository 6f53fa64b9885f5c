package io.streaminfer.job.config;

import io.streaminfer.flink.inference.ReplicaSource;
import io.streaminfer.flink.ingest.PreparerFactory;

/** What runs in place of the models ({@code models.stand-in}): the models themselves, except in benchmarks. */
public enum ModelStandIn implements ConfigChoice {
    /** The real models. */
    NONE("none", ReplicaSource.loaded(), PreparerFactory.real()),
    /** Answers every request at once without a model: the pipeline's own ceiling. Inputs are checked, not prepared. */
    NO_OP("no-op", ReplicaSource.noOp(), PreparerFactory.validating()),
    /** Takes the time an H100 would per batch, without a model or a GPU. */
    GPU("gpu", ReplicaSource.gpu(), PreparerFactory.real());

    private final String configName;
    private final ReplicaSource replicas;
    private final PreparerFactory preparers;

    ModelStandIn(String configName, ReplicaSource replicas, PreparerFactory preparers) {
        this.configName = configName;
        this.replicas = replicas;
        this.preparers = preparers;
    }

    @Override
    public String configName() {
        return configName;
    }

    /** Where the replicas come from. */
    public ReplicaSource replicas() {
        return replicas;
    }

    /** How requests are prepared for them. */
    public PreparerFactory preparers() {
        return preparers;
    }
}
