package io.streaminfer.bridge.batch.store;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One chunk of a file on the file-chunks topic: where it is and its key. Keys are never written twice ({@code <file
 * ID>/<writer>/<n>}, a writer being an upload or one run of a batch's feeder), so a chunk that a checkpoint or a file
 * names is never compacted away by a later write; only deleting the file removes it.
 */
public record Chunk(@JsonProperty("offset") long offset, @JsonProperty("key") String key) { }
