package io.chorus.worker.train;

import java.util.List;

/**
 * One committed snapshot, as the member manifest lists it. Only snapshots listed in a manifest exist for
 * readers, and only after their SHA-256 matches.
 *
 * @param path        file name relative to the member directory
 * @param sha256      hex SHA-256 of the file's bytes
 * @param epoch       1-based epoch during which it was taken
 * @param iteration   minibatch updates done when it was taken
 * @param lr          learning rate of the last update before it
 * @param kind        why it was taken: {@code epoch}, {@code cycle}, {@code swa}, {@code final} (one or more)
 * @param valAccuracy validation accuracy at that point, when measured (null otherwise)
 * @param valLoss     validation loss at that point, when measured (null otherwise)
 */
public record SnapshotRecord(String path, String sha256, int epoch, long iteration, double lr, List<String> kind,
                             Double valAccuracy, Double valLoss) {
    public SnapshotRecord {
        kind = List.copyOf(kind);
    }

    public boolean hasKind(SnapshotKind k) {
        return kind.contains(k.configName());
    }
}
