package io.streaminfer.flink.sql;

import io.streaminfer.flink.sql.internal.ModelSignature;
import io.streaminfer.flink.sql.internal.RowBindings;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.api.config.ExecutionConfigOptions;
import org.apache.flink.table.catalog.ResolvedCatalogModel;
import org.apache.flink.table.factories.ModelProviderFactory;
import org.apache.flink.table.ml.ModelProvider;
import org.apache.flink.table.types.logical.RowType;

/**
 * The {@code streaminfer} model provider for Flink SQL's {@code CREATE MODEL} and {@code ML_PREDICT}:
 *
 * <pre>{@code
 * CREATE MODEL emb INPUT (text STRING) OUTPUT (embedding ARRAY<FLOAT>)
 * WITH ('provider' = 'streaminfer', 'model' = 'all-minilm-l6-v2', 'models-dir' = '/opt/streaminfer/models');
 * SELECT id, embedding FROM ML_PREDICT(TABLE docs, MODEL emb, DESCRIPTOR(text),
 *                                      MAP['max-concurrent-operations', '256']);
 * }</pre>
 *
 * Concurrent rows of a subtask share model calls: the predict function feeds one micro-batcher per subtask, so a
 * batch holds at most as many rows as {@code ML_PREDICT} keeps in flight ({@code max-concurrent-operations}, Flink's
 * default 10). Options and columns are checked here, when a query that uses the model is planned (and at {@code
 * CREATE MODEL} already with {@link ModelCheckListenerFactory}), each problem with what to change. Found by Flink
 * through {@code META-INF/services/org.apache.flink.table.factories.Factory}.
 */
public final class StreaminferModelProviderFactory implements ModelProviderFactory {
    public static final String IDENTIFIER = "streaminfer";

    @Override
    public String factoryIdentifier() {
        return IDENTIFIER;
    }

    @Override
    public Set<ConfigOption<?>> requiredOptions() {
        return Set.of(ConfigOptions.key(SqlModelOptions.MODEL).stringType().noDefaultValue());
    }

    @Override
    public Set<ConfigOption<?>> optionalOptions() {
        Set<ConfigOption<?>> o = new LinkedHashSet<>();
        for (Map.Entry<String, String> e : SqlModelOptions.KEYS.entrySet()) {
            if (!e.getKey().equals(SqlModelOptions.MODEL) && !e.getKey().equals(SqlModelOptions.PROVIDER)) {
                o.add(ConfigOptions.key(e.getKey()).stringType().noDefaultValue().withDescription(e.getValue()));
            }
        }
        return o;
    }

    @Override
    public ModelProvider createModelProvider(Context context) {
        ResolvedCatalogModel model = context.getCatalogModel();
        Checked checked = check(context.getObjectIdentifier().asSummaryString(), model);
        ReadableConfig session = context.getConfiguration();
        return new StreaminferModelProvider(checked.options(), checked.bindings(),
                session.get(ExecutionConfigOptions.TABLE_EXEC_ASYNC_ML_PREDICT_TIMEOUT),
                session.get(ExecutionConfigOptions.TABLE_EXEC_ASYNC_ML_PREDICT_MAX_CONCURRENT_OPERATIONS));
    }

    /** Options and columns of a model, checked. */
    record Checked(SqlModelOptions options, RowBindings bindings) {
    }

    /** @throws ValidationException naming the model and listing every problem with what to change */
    static Checked check(String modelName, ResolvedCatalogModel model) {
        try {
            SqlModelOptions options = SqlModelOptions.parse(model.getOptions());
            RowType input = (RowType) model.getResolvedInputSchema().toPhysicalRowDataType().getLogicalType();
            RowType output = (RowType) model.getResolvedOutputSchema().toPhysicalRowDataType().getLogicalType();
            ModelSignature signature = ModelResolver.resolve(options, input, output);
            return new Checked(options, RowBindings.bind(signature, input, output, options));
        } catch (IllegalArgumentException e) {
            throw new ValidationException("CREATE MODEL " + modelName + " ... WITH ('provider' = 'streaminfer'): "
                    + e.getMessage(), e);
        }
    }

    /** The timeout and concurrency a query runs ML_PREDICT with: its own MAP options, else the session's. */
    static Duration timeout(ReadableConfig query, Duration session) {
        return query.getOptional(org.apache.flink.table.api.config.MLPredictRuntimeConfigOptions.ASYNC_TIMEOUT)
                .orElse(session);
    }

    static int concurrency(ReadableConfig query, int session) {
        return query.getOptional(
                org.apache.flink.table.api.config.MLPredictRuntimeConfigOptions.ASYNC_MAX_CONCURRENT_OPERATIONS)
                .orElse(session);
    }
}
