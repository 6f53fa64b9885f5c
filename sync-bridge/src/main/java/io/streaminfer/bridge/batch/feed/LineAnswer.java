package io.streaminfer.bridge.batch.feed;

import com.fasterxml.jackson.databind.JsonNode;

/** A line's answer as the endpoint would give it online: the HTTP status and body. */
record LineAnswer(int status, JsonNode body) {
    /** 2xx: the line goes to the output file; else to the error file. */
    boolean succeeded() {
        return status / 100 == 2;
    }
}
