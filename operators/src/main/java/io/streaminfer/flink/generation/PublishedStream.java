package io.streaminfer.flink.generation;

import io.streaminfer.contract.TokenRecord;
import io.streaminfer.generation.FinishReason;
import io.streaminfer.generation.GenerationRequest;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * What readers of the token topic saw of one request before a failover: its records in sequence order. Its re-run
 * goes on after them ({@link #resume()}), or, when the last record was published, ends with what it says.
 */
record PublishedStream(List<TokenRecord> records) {
    /** The records from 0 on without a gap (a gap would be a bug upstream; what follows it is not trusted). */
    static PublishedStream of(List<TokenRecord> sorted) {
        int n = 0;
        while (n < sorted.size() && sorted.get(n).seq() == n) {
            n++;
        }
        return new PublishedStream(List.copyOf(sorted.subList(0, n)));
    }

    boolean ended() {
        return !records.isEmpty() && records.get(records.size() - 1).last();
    }

    GenerationRequest.Resume resume() {
        int[] tokens = records.stream().flatMapToInt(r -> IntStream.of(r.tokens())).toArray();
        return GenerationRequest.Resume.of(tokens, records.size());
    }

    String text() {
        return records.stream().map(TokenRecord::text).collect(Collectors.joining());
    }

    TokenRecord last() {
        return records.get(records.size() - 1);
    }

    FinishReason finishReason() {
        String r = last().finishReason();
        return r == null ? FinishReason.STOP : FinishReason.ofWireName(r);
    }
}
