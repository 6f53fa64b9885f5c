package io.streaminfer.job.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which snapshot a restart resumes from: the newest complete one, savepoint or retained checkpoint, across both
 * directories; incomplete ones (no _metadata) are not candidates, unreadable ones are told apart before a restore.
 * (Real snapshots written by Flink are restored in LocalStackRestartClusterIT.)
 */
class SnapshotsTest {
    @TempDir
    Path dir;

    @Test
    void newestCompleteSnapshotFirstAcrossSavepointsAndCheckpoints() throws Exception {
        Path savepoints = dir.resolve("savepoints");
        Path checkpoints = dir.resolve("checkpoints");
        Path oldSavepoint = metadata(savepoints.resolve("savepoint-aaaaaa-1"), 100);
        Path checkpoint = metadata(checkpoints.resolve("0123abcd").resolve("chk-7"), 200);
        Path newSavepoint = metadata(savepoints.resolve("savepoint-bbbbbb-2"), 300);
        Files.createDirectories(checkpoints.resolve("0123abcd").resolve("chk-8")); // never completed
        Files.createDirectories(checkpoints.resolve("0123abcd").resolve("shared"));

        List<Snapshots.Snapshot> found = Snapshots.newestFirst(List.of(savepoints, checkpoints, dir.resolve("none")));

        assertThat(found).extracting(Snapshots.Snapshot::dir).containsExactly(newSavepoint, checkpoint, oldSavepoint);
        assertThat(found).extracting(Snapshots.Snapshot::kind).containsExactly("savepoint", "checkpoint",
                "savepoint");
        assertThat(found.get(1).pointer()).startsWith("file:/").endsWith("/chk-7/");
    }

    @Test
    void truncatedMetadataIsUnreadableWithTheReason() throws Exception {
        Path sp = metadata(dir.resolve("savepoint-cccccc-3"), 100);
        Files.write(sp.resolve("_metadata"), new byte[] {0x4a, 0x3b});
        String why = Snapshots.unreadable(Snapshots.newestFirst(List.of(dir)).get(0));
        assertThat(why).startsWith("its _metadata cannot be read (");
    }

    @Test
    void restoreFailuresAreToldFromOtherFailures() {
        assertThat(SubmitCommand.isRestoreFailure("java.lang.Exception: Exception while creating "
                + "StreamOperatorStateContext.")).isTrue();
        assertThat(SubmitCommand.isRestoreFailure("JobInitializationException: Could not start the JobMaster.\n"
                + "Caused by: java.io.EOFException")).isTrue();
        assertThat(SubmitCommand.isRestoreFailure("FileNotFoundException: Cannot find checkpoint or savepoint "
                + "file/directory 'file:/x' on file system 'file'.")).isTrue();
        assertThat(SubmitCommand.isRestoreFailure("TimeoutException: Timeout expired while fetching topic "
                + "metadata")).isFalse();
        assertThat(SubmitCommand.isRestoreFailure("NoResourceAvailableException: Could not acquire the minimum "
                + "required resources.")).isFalse();
    }

    private static Path metadata(Path snapshotDir, long epochSecond) throws Exception {
        Files.createDirectories(snapshotDir);
        Path m = snapshotDir.resolve("_metadata");
        Files.write(m, new byte[] {1, 2, 3});
        Files.setLastModifiedTime(m, FileTime.from(Instant.ofEpochSecond(1_700_000_000L + epochSecond)));
        return snapshotDir;
    }
}
