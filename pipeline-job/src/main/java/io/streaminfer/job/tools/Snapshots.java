package io.streaminfer.job.tools;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.apache.flink.runtime.checkpoint.Checkpoints;

/**
 * The job's snapshots on a local file system — savepoints ({@code savepoint-*}/_metadata) and checkpoints retained
 * after a cancellation or a crash ({@code <job id>/chk-N/_metadata}) — newest first, so a restart can resume from
 * whichever is the latest state: the savepoint of a clean stop, or the last checkpoint of a job that was killed.
 * A directory without {@code _metadata} is a snapshot that never completed and is not listed; {@link #unreadable}
 * tells a truncated or foreign {@code _metadata} before a restore is tried with it.
 *
 * <pre>{@code
 * for (Snapshots.Snapshot s : Snapshots.newestFirst(List.of(savepoints, checkpoints))) {
 *     if (Snapshots.unreadable(s) == null) { ... restore from s.pointer() ... }
 * }
 * }</pre>
 */
public final class Snapshots {
    private static final String METADATA = "_metadata";

    private Snapshots() {}

    /**
     * {@code Snapshots DIR...}: prints the pointer of the newest snapshot under the directories whose metadata reads
     * (nothing when there is none), and on stderr each one skipped and why. For scripts that restore without
     * deploy/submit (deploy/local/up --mini-cluster).
     */
    public static void main(String[] args) throws IOException {
        List<Path> roots = new ArrayList<>();
        for (String a : args) {
            roots.add(Path.of(a));
        }
        for (Snapshot s : newestFirst(roots)) {
            String bad = unreadable(s);
            if (bad == null) {
                System.out.println(s.pointer());
                return;
            }
            System.err.println("[snapshots] skipping the " + s + ": " + bad + "; it stays on disk");
        }
    }

    /** One completed snapshot: its directory (what Flink restores from), its kind and when it was written. */
    public record Snapshot(Path dir, String kind, Instant takenAt) {
        /** The path Flink's REST API takes as {@code savepointPath}. */
        public String pointer() {
            return dir.toUri().toString();
        }

        @Override
        public String toString() {
            return kind + " " + dir;
        }
    }

    /** Every completed snapshot under the roots (absent roots are skipped), newest first. */
    public static List<Snapshot> newestFirst(List<Path> roots) throws IOException {
        List<Snapshot> found = new ArrayList<>();
        for (Path root : roots) {
            if (!Files.isDirectory(root)) {
                continue;
            }
            // savepoints: root/savepoint-*/_metadata; checkpoints: root/<job id>/chk-N/_metadata
            try (Stream<Path> files = Files.find(root, 3, (p, a) -> a.isRegularFile()
                    && p.getFileName().toString().equals(METADATA))) {
                for (Path metadata : (Iterable<Path>) files::iterator) {
                    Path dir = metadata.getParent();
                    String name = dir.getFileName().toString();
                    String kind = name.startsWith("chk-") ? "checkpoint" : "savepoint";
                    FileTime t = Files.getLastModifiedTime(metadata);
                    found.add(new Snapshot(dir, kind, t.toInstant()));
                }
            }
        }
        found.sort(Comparator.comparing(Snapshot::takenAt).reversed());
        return found;
    }

    /** Null when the snapshot's metadata reads as Flink's; else why not (what a restore from it would fail on). */
    public static String unreadable(Snapshot s) {
        Path metadata = s.dir.resolve(METADATA);
        try (InputStream in = Files.newInputStream(metadata);
                DataInputStream data = new DataInputStream(in)) {
            Checkpoints.loadCheckpointMetadata(data, Snapshots.class.getClassLoader(), s.dir.toString());
            return null;
        } catch (IOException | RuntimeException e) {
            return "its _metadata cannot be read (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")";
        }
    }
}
