package io.streaminfer.flink.sql;

import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.catalog.ResolvedCatalogModel;
import org.apache.flink.table.catalog.listener.CatalogModificationListener;
import org.apache.flink.table.catalog.listener.CatalogModificationListenerFactory;
import org.apache.flink.table.catalog.listener.CreateModelEvent;

/**
 * Checks a {@code streaminfer} model at {@code CREATE MODEL} time instead of when the first query uses it. Flink
 * creates model providers only when a query is planned, so without this listener a wrong option shows at the first
 * {@code SELECT ... ML_PREDICT}; with it, the {@code CREATE MODEL} itself fails with the same messages. A temporary
 * model is then not kept; a catalog model is (Flink stores it before listeners hear of it, and gives them no handle
 * to take it back), which the message says. Opt-in, in the session or cluster config:
 *
 * <pre>{@code
 * table.catalog-modification.listeners: streaminfer
 * }</pre>
 *
 * Models of other providers are left alone.
 */
public final class ModelCheckListenerFactory implements CatalogModificationListenerFactory {

    @Override
    public String factoryIdentifier() {
        return StreaminferModelProviderFactory.IDENTIFIER;
    }

    @Override
    public CatalogModificationListener createListener(Context context) {
        return event -> {
            if (!(event instanceof CreateModelEvent create)) {
                return;
            }
            if (!StreaminferModelProviderFactory.IDENTIFIER.equals(create.model().getOptions().get("provider"))
                    || !(create.model() instanceof ResolvedCatalogModel resolved)) {
                return;
            }
            try {
                StreaminferModelProviderFactory.check(create.identifier().asSummaryString(), resolved);
            } catch (ValidationException e) {
                if (create.isTemporary()) {
                    throw e; // thrown inside the catalog manager's update: the model is not kept
                }
                // A catalog model is stored before listeners hear of it, and they get no handle to drop it.
                throw new ValidationException(e.getMessage() + "\n(The catalog has stored the model anyway: DROP MODEL "
                        + create.identifier().asSummaryString() + ", then create it again with the fix.)", e);
            }
        };
    }
}
