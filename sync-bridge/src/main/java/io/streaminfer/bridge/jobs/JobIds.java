package io.streaminfer.bridge.jobs;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.utils.Utils;

/**
 * Job IDs: the Kafka key (request ID) the bridge gives each call. They are random (unguessable, so one caller
 * cannot read another's job, and two callers sending the same OIP {@code id} never share a correlation key), and a
 * sync call's ID names the results partition its reply goes to, so any replica can later find the result of a
 * call whose caller gave up (the 504 carries the ID).
 */
public final class JobIds {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Pattern SYNC = Pattern.compile("s([0-9]{1,5})-[0-9a-f]{32}");
    private static final Pattern MADE_HERE = Pattern.compile("(j|s[0-9]{1,5})-[0-9a-f]{32}");
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private JobIds() {}

    /** An async job: its result is partitioned by key like any keyed record. */
    public static String async() {
        return "j-" + random128();
    }

    /** A sync call whose reply goes to {@code replyPartition}. */
    public static String sync(int replyPartition) {
        return "s" + replyPartition + "-" + random128();
    }

    /** The results-topic partition of a job's result, for a topic of {@code partitions} partitions. */
    public static int resultPartition(String jobId, int partitions) {
        Matcher m = SYNC.matcher(jobId);
        if (m.matches()) {
            int p = Integer.parseInt(m.group(1));
            if (p < partitions) {
                return p;
            }
        }
        // As Kafka's producer partitions a keyed record (the job sends results without a partition otherwise).
        return Utils.toPositive(Utils.murmur2(jobId.getBytes(StandardCharsets.UTF_8))) % partitions;
    }

    /** Made by {@link #async()} or {@link #sync(int)}: unguessable, so whoever knows it may read the job. */
    public static boolean madeByBridge(String id) {
        return id != null && MADE_HERE.matcher(id).matches();
    }

    /** Worth looking up: job IDs are Kafka keys of at most 512 characters, no control characters. */
    public static boolean plausible(String id) {
        if (id == null || id.isEmpty() || id.length() > 512) {
            return false;
        }
        for (int i = 0; i < id.length(); i++) {
            if (Character.isISOControl(id.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private static String random128() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        char[] out = new char[32];
        for (int i = 0; i < 16; i++) {
            out[2 * i] = HEX[(b[i] >> 4) & 0xf];
            out[2 * i + 1] = HEX[b[i] & 0xf];
        }
        return new String(out);
    }
}
