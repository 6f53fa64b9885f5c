package io.streaminfer.job.bench;

import io.streaminfer.flink.records.RawRecord;
import io.streaminfer.job.InferencePipeline;
import io.streaminfer.job.config.JobConfig;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * The job's Kafka traffic through Flink with nothing of ours in between: the floor under the job's cost per request
 * once Flink is in the path. The job's requests source, one keyed shuffle by request ID (the job's one shuffle), one
 * keyed function, and the job's results and status sinks, on the job's environment (checkpoints, RocksDB, object
 * reuse, buffer timeout: {@code InferenceJob.configure}). For each request the function writes what the job wrote:
 * an ACCEPTED status, the result and the final status, copies of the job's own records ({@link KafkaAlone.Samples}).
 * No parsing, no model, no batching.
 *
 * <p>With {@code oneState} the function also reads and writes one keyed value per request ID in RocksDB, the
 * result's bytes: the least state that answers a duplicate with its result. That is what a single keyed operator
 * for admission and outcomes would do at best (the job reads three times and writes twice). It has no TTL; the job's
 * state has one.
 *
 * <pre>{@code
 * InferenceJob.configure(env, config);
 * FlinkAlone.build(env, config, samples, true);
 * JobClient job = env.executeAsync("flink-alone");
 * }</pre>
 */
final class FlinkAlone {
    private FlinkAlone() {}

    static void build(StreamExecutionEnvironment env, JobConfig config, KafkaAlone.Samples samples,
            boolean oneState) {
        Copies results = Copies.of(samples.results());
        SingleOutputStreamOperator<Relayed> relayed = env
                .fromSource(InferencePipeline.source(config), WatermarkStrategy.noWatermarks(), "requests")
                .keyBy(r -> new String(r.key, StandardCharsets.UTF_8))
                .process(new Relay(oneState ? results : null, samples.results().size(), samples.accepted().size(),
                        samples.finals().size()))
                .name(oneState ? "relay, one state per ID" : "relay, no state");
        relayed.sinkTo(InferencePipeline.sink(config, "results", new CopySerializer(config.topics.results,
                results, null)));
        relayed.getSideOutput(Relay.STATUS).sinkTo(InferencePipeline.sink(config, "status",
                new CopySerializer(config.topics.status, Copies.of(samples.finals()),
                        Copies.of(samples.accepted()))));
    }

    /** Which copy to write under which key; a Flink POJO. */
    public static class Relayed {
        public byte[] key;
        public int sample;
        public boolean accepted;

        public Relayed() {}

        Relayed(byte[] key, int sample, boolean accepted) {
            this.key = key;
            this.sample = sample;
            this.accepted = accepted;
        }
    }

    /** Writes, per request, the ACCEPTED status and the final status on the side and the result on the main output. */
    static final class Relay extends KeyedProcessFunction<String, RawRecord, Relayed> {
        private static final long serialVersionUID = 1L;
        static final OutputTag<Relayed> STATUS = new OutputTag<>("status", TypeInformation.of(Relayed.class));

        private final Copies kept;
        private final int results;
        private final int accepted;
        private final int finals;
        private transient ValueState<byte[]> state;
        private transient int i;

        /** {@code kept}: the values to keep per ID, or null to keep none. */
        Relay(Copies kept, int results, int accepted, int finals) {
            this.kept = kept;
            this.results = results;
            this.accepted = accepted;
            this.finals = finals;
        }

        @Override
        public void open(OpenContext openContext) {
            if (kept != null) {
                state = getRuntimeContext().getState(new ValueStateDescriptor<>("kept",
                        PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
            }
        }

        @Override
        public void processElement(RawRecord r, Context ctx, Collector<Relayed> out) throws Exception {
            int n = i++ & Integer.MAX_VALUE;
            if (state != null && state.value() == null) {
                state.update(kept.values[n % results]);
            }
            ctx.output(STATUS, new Relayed(r.key, n % accepted, true));
            out.collect(new Relayed(r.key, n % results, false));
            ctx.output(STATUS, new Relayed(r.key, n % finals, false));
        }
    }

    /** Records' values and headers in a form Flink can ship with the job. */
    static final class Copies implements Serializable {
        private static final long serialVersionUID = 1L;
        final byte[][] values;
        final String[][] headerNames;
        final byte[][][] headerValues;

        private Copies(int n) {
            values = new byte[n][];
            headerNames = new String[n][];
            headerValues = new byte[n][][];
        }

        static Copies of(List<KafkaAlone.Copy> copies) {
            Copies c = new Copies(copies.size());
            for (int k = 0; k < copies.size(); k++) {
                KafkaAlone.Copy copy = copies.get(k);
                Header[] h = copy.headers().toArray();
                c.values[k] = copy.value();
                c.headerNames[k] = new String[h.length];
                c.headerValues[k] = new byte[h.length][];
                for (int j = 0; j < h.length; j++) {
                    c.headerNames[k][j] = h[j].key();
                    c.headerValues[k][j] = h[j].value();
                }
            }
            return c;
        }

        ProducerRecord<byte[], byte[]> record(String topic, byte[] key, int k) {
            RecordHeaders h = new RecordHeaders();
            for (int j = 0; j < headerNames[k].length; j++) {
                h.add(headerNames[k][j], headerValues[k][j]);
            }
            return new ProducerRecord<>(topic, null, null, key, values[k], h);
        }
    }

    /** Writes a relayed copy: {@code accepted} for the ACCEPTED ones, {@code main} for the rest. */
    static final class CopySerializer implements KafkaRecordSerializationSchema<Relayed> {
        private static final long serialVersionUID = 1L;
        private final String topic;
        private final Copies main;
        private final Copies accepted;

        CopySerializer(String topic, Copies main, Copies accepted) {
            this.topic = topic;
            this.main = main;
            this.accepted = accepted;
        }

        @Override
        public ProducerRecord<byte[], byte[]> serialize(Relayed r, KafkaSinkContext context, Long timestamp) {
            return (r.accepted ? accepted : main).record(topic, r.key, r.sample);
        }
    }
}
