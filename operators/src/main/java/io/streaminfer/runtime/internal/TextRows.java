package io.streaminfer.runtime.internal;

/** A text request's rows, prepared: token ids, and type ids where not all zero (null otherwise, per row or all). */
public record TextRows(long[][] ids, long[][] typeIds) {
}
