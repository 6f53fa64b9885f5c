package io.streaminfer.flink.sql;

import io.streaminfer.contract.InferenceException;
import io.streaminfer.contract.model.ModelRepository;
import io.streaminfer.contract.model.ModelVersion;
import io.streaminfer.contract.model.TensorSpec;
import io.streaminfer.flink.sql.internal.ModelSignature;
import io.streaminfer.flink.sql.internal.RemoteRows;
import io.streaminfer.flink.sql.internal.SqlTypes;
import io.streaminfer.flink.sql.internal.TensorDecl;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.RowType;

/**
 * Finds what a model named in {@code CREATE MODEL} takes and gives: in local mode from the model repository by name
 * (and version), in remote mode from the server's OIP model metadata (or, with {@code remote.check-metadata} off,
 * from the declared columns themselves).
 *
 * <p>The seam for workflow graphs: a graph served as a model is resolved here by name too (a graph repository next
 * to the model repository), returning its signature; nothing else in the provider needs to know it is a graph.
 */
final class ModelResolver {
    private ModelResolver() {}

    /** @throws IllegalArgumentException saying what to change (unknown model or version, unreachable server) */
    static ModelSignature resolve(SqlModelOptions o, RowType input, RowType output) {
        if (o.remote()) {
            return o.remoteCheckMetadata() ? RemoteRows.metadata(o) : fromColumns(o, input, output);
        }
        ModelRepository repository;
        try {
            repository = ModelRepository.open(Path.of(o.modelsDir()));
        } catch (IllegalStateException e) {
            throw new IllegalArgumentException("'" + SqlModelOptions.MODELS_DIR + "': " + e.getMessage(), e);
        }
        ModelVersion v;
        try {
            v = repository.resolve(o.model(), o.modelVersion());
        } catch (InferenceException e) {
            throw new IllegalArgumentException(e.getMessage() + " (in " + repository.root() + "); set 'model'"
                    + (o.modelVersion() == null ? "" : " and 'model-version'") + " to one of them", e);
        }
        if (v.config().isGraph()) {
            throw new IllegalArgumentException("'" + v.key() + "' is a graph of models: the local mode runs one "
                    + "model in this job; set 'endpoint' to the bridge to run a graph (the remote mode)");
        }
        return new ModelSignature(v.name(), v.version(), decls(v.config().inputs()), decls(v.config().outputs()),
                v.directory().getParent().resolve("model.yaml").toString());
    }

    private static List<TensorDecl> decls(List<TensorSpec> specs) {
        List<TensorDecl> out = new ArrayList<>();
        for (TensorSpec s : specs) {
            out.add(TensorDecl.of(s));
        }
        return out;
    }

    /** The signature the columns declare: datatypes from their types, shapes [-1, -1, ...] from their depth. */
    private static ModelSignature fromColumns(SqlModelOptions o, RowType input, RowType output) {
        return new ModelSignature(o.model(), o.modelVersion(), columns(input, null),
                columns(output, o.errorColumn()), "the declared columns ('remote.check-metadata' = 'false')");
    }

    private static List<TensorDecl> columns(RowType row, String skip) {
        List<TensorDecl> out = new ArrayList<>();
        for (RowType.RowField f : row.getFields()) {
            if (f.getName().equals(skip)) {
                continue;
            }
            LogicalType element = SqlTypes.element(f.getType());
            io.streaminfer.contract.Datatype d = SqlTypes.datatypeOf(element);
            if (d == null) {
                throw new IllegalArgumentException("column '" + f.getName() + "' has type " + f.getType()
                        .asSummaryString() + ", which stands for no OIP datatype (see the type table of docs/sql.md)");
            }
            long[] shape = new long[SqlTypes.depth(f.getType()) + 1];
            java.util.Arrays.fill(shape, -1);
            out.add(new TensorDecl(f.getName(), d, shape));
        }
        return out;
    }
}
