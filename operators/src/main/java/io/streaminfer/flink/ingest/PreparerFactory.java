package io.streaminfer.flink.ingest;

import io.streaminfer.contract.model.ModelVersion;
import io.streaminfer.runtime.Preparers;
import io.streaminfer.runtime.RequestPreparer;
import java.io.Serializable;

/** How the parser prepares requests for a model version; serializable, as the job graph is. */
@FunctionalInterface
public interface PreparerFactory extends Serializable {
    RequestPreparer create(ModelVersion version);

    /** What the model's replicas need: for text, cut and tokenized. */
    static PreparerFactory real() {
        return Preparers::load;
    }

    /** The signature checked, nothing more: for stand-ins that do not read inputs (the no-op benchmark). */
    static PreparerFactory validating() {
        return Preparers::validating;
    }
}
