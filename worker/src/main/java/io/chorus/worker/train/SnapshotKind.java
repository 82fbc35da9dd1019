package io.chorus.worker.train;

/** Why a snapshot was taken. One file may serve several purposes at once. */
public enum SnapshotKind {
    /** every {@code snapshots.every} epochs */
    EPOCH,
    /** end of a learning-rate cycle: the members of a snapshot ensemble */
    CYCLE,
    /** a collection point of trajectory parameter averaging */
    SWA,
    /** the end of training */
    FINAL;

    public String configName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
