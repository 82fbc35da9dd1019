package io.chorus.driver.run;

import java.util.List;

import io.chorus.worker.train.Attempt;
import io.chorus.worker.train.EpochMetrics;
import io.chorus.worker.train.MemberManifest;
import io.chorus.worker.train.MemberStatus;
import io.chorus.worker.train.SnapshotRecord;

/**
 * One member as run.json lists it: its manifest's facts, snapshot paths relative to the run directory,
 * and where its last attempt ran.
 */
public record RunMember(int id, long seed, MemberStatus status, String reason, String dir, long parameters,
                        String executor, String host, Long pid, List<Attempt> attempts,
                        List<SnapshotRecord> snapshots, List<EpochMetrics> epochs, long imagesSeen,
                        double trainSeconds) {

    public static RunMember of(MemberManifest m, String dir) {
        List<Attempt> attempts = List.copyOf(m.getAttemptLog());
        Attempt last = attempts.isEmpty() ? null : attempts.get(attempts.size() - 1);
        List<SnapshotRecord> snapshots = m.getSnapshots().stream()
                .map(s -> new SnapshotRecord(dir + "/" + s.path(), s.sha256(), s.epoch(), s.iteration(), s.lr(), s.kind(),
                        s.valAccuracy(), s.valLoss()))
                .toList();
        return new RunMember(m.getMember(), m.getSeed(), m.getStatus(), m.getReason(), dir, m.getParameters(),
                last == null ? null : last.executor(), last == null ? null : last.host(), last == null ? null : last.pid(),
                attempts, snapshots, List.copyOf(m.getEpochs()), m.getImagesSeen(), m.getTrainSeconds());
    }

    /** A member that has not started yet. */
    public static RunMember pending(int id, long seed, String dir) {
        return new RunMember(id, seed, MemberStatus.RUNNING, null, dir, 0, null, null, null, List.of(), List.of(),
                List.of(), 0, 0);
    }

    /** A member with no manifest at all: it failed before it could write one. */
    public static RunMember failedBeforeStart(int id, long seed, String dir, String reason) {
        return new RunMember(id, seed, MemberStatus.FAILED, reason, dir, 0, null, null, null, List.of(), List.of(),
                List.of(), 0, 0);
    }
}
