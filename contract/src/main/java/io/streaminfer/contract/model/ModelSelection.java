package io.streaminfer.contract.model;

import java.io.Serializable;
import java.util.Collection;
import java.util.Collections;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which models of a repository a job or runtime serves: all of them, or the names listed. Serializable: it travels
 * with a Flink job graph.
 *
 * <pre>{@code
 * ModelSelection served = names.isEmpty() ? ModelSelection.all() : ModelSelection.only(names);
 * if (served.includes("tiny-mlp")) { ... }
 * }</pre>
 */
public abstract sealed class ModelSelection implements Serializable {
    private static final long serialVersionUID = 1L;

    private ModelSelection() {}

    /** Every model of the repository. */
    public static ModelSelection all() {
        return All.INSTANCE;
    }

    /** Only the models named; at least one. */
    public static ModelSelection only(Collection<String> names) {
        if (names.isEmpty()) {
            throw new IllegalArgumentException("a selection names at least one model; ModelSelection.all() for all");
        }
        return new Only(names);
    }

    /**
     * No model: what a runtime loads when every model served is another path's (a job serving only generative
     * models loads no one-shot batcher). Not a configuration's choice: a job serves at least one model.
     */
    public static ModelSelection none() {
        return new Only(Set.of());
    }

    /** Whether {@code model} is served. */
    public abstract boolean includes(String model);

    /** Whether every model of the repository is. */
    public abstract boolean isAll();

    /** The names selected, sorted; throws for {@link #all()}, which names none. */
    public abstract Set<String> names();

    private static final class All extends ModelSelection {
        private static final long serialVersionUID = 1L;
        static final All INSTANCE = new All();

        @Override
        public boolean includes(String model) {
            return true;
        }

        @Override
        public boolean isAll() {
            return true;
        }

        @Override
        public Set<String> names() {
            throw new IllegalStateException("all models are selected: read the repository for their names");
        }

        private Object readResolve() {
            return INSTANCE;
        }

        @Override
        public String toString() {
            return "all models";
        }
    }

    private static final class Only extends ModelSelection {
        private static final long serialVersionUID = 1L;
        private final TreeSet<String> names;

        Only(Collection<String> names) {
            this.names = new TreeSet<>(names);
        }

        @Override
        public boolean includes(String model) {
            return names.contains(model);
        }

        @Override
        public boolean isAll() {
            return false;
        }

        @Override
        public Set<String> names() {
            return Collections.unmodifiableSet(names);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Only other && other.names.equals(names);
        }

        @Override
        public int hashCode() {
            return names.hashCode();
        }

        @Override
        public String toString() {
            return names.isEmpty() ? "no model" : names.toString();
        }
    }
}
