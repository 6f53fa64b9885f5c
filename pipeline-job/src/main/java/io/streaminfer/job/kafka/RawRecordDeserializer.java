package io.streaminfer.job.kafka;

import io.streaminfer.flink.records.RawRecord;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/** Copies a request record as it is: trusting nothing here keeps a hostile record from failing the source. */
public final class RawRecordDeserializer implements KafkaRecordDeserializationSchema<RawRecord> {
    private static final long serialVersionUID = 1L;

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<RawRecord> out) {
        RawRecord r = new RawRecord();
        r.key = record.key();
        r.value = record.value();
        Header[] headers = record.headers().toArray();
        r.headerNames = new String[headers.length];
        r.headerValues = new byte[headers.length][];
        for (int i = 0; i < headers.length; i++) {
            r.headerNames[i] = headers[i].key();
            r.headerValues[i] = headers[i].value();
        }
        r.timestamp = record.timestamp() > 0 ? record.timestamp() : System.currentTimeMillis();
        r.topic = record.topic();
        r.partition = record.partition();
        r.offset = record.offset();
        out.collect(r);
    }

    @Override
    public TypeInformation<RawRecord> getProducedType() {
        return TypeInformation.of(RawRecord.class);
    }
}
