package io.chorus.driver.run;

import java.util.List;
import java.util.Map;

import io.chorus.worker.train.Attempt;
import io.chorus.worker.train.EpochMetrics;
import io.chorus.worker.train.MemberManifest;
import io.chorus.worker.train.MemberStatus;
import io.chorus.worker.train.SnapshotRecord;

/**
 * One member as run.json lists it: its manifest's facts, snapshot paths relative to the run directory,
 * where its last attempt ran, its role in the job and the resolved configuration it trained with.
 *
 * @param role          {@value #MEMBER} for an ensemble member, {@value #SINGLE_BUDGET} for the reference model of
 *                      compare.single_budget
 * @param configuration every per-member key with the value this member trained with
 * @param replication   how the member trained data-parallel (train.replicas above 1), or null
 */
public record RunMember(int id, long seed, MemberStatus status, String reason, String dir, long parameters,
                        String executor, String host, Long pid, List<Attempt> attempts,
                        List<SnapshotRecord> snapshots, List<EpochMetrics> epochs, long imagesSeen,
                        double trainSeconds, String role, Map<String, Object> configuration,
                        @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
                        io.chorus.worker.train.Replication replication) {
    public static final String MEMBER = "member";
    public static final String SINGLE_BUDGET = "single_budget";

    /** This entry with its role and resolved configuration. */
    public RunMember planned(String role, Map<String, Object> configuration) {
        return new RunMember(id, seed, status, reason, dir, parameters, executor, host, pid, attempts, snapshots, epochs,
                imagesSeen, trainSeconds, role, configuration, replication);
    }

    public static RunMember of(MemberManifest m, String dir) {
        List<Attempt> attempts = List.copyOf(m.getAttemptLog());
        Attempt last = attempts.isEmpty() ? null : attempts.get(attempts.size() - 1);
        List<SnapshotRecord> snapshots = m.getSnapshots().stream()
                .map(s -> new SnapshotRecord(dir + "/" + s.path(), s.sha256(), s.epoch(), s.iteration(), s.lr(), s.kind(),
                        s.valAccuracy(), s.valLoss()))
                .toList();
        return new RunMember(m.getMember(), m.getSeed(), m.getStatus(), m.getReason(), dir, m.getParameters(),
                last == null ? null : last.executor(), last == null ? null : last.host(), last == null ? null : last.pid(),
                attempts, snapshots, List.copyOf(m.getEpochs()), m.getImagesSeen(), m.getTrainSeconds(), null, null,
                m.getReplication());
    }

    /** A member that has not started yet. */
    public static RunMember pending(int id, long seed, String dir) {
        return new RunMember(id, seed, MemberStatus.RUNNING, null, dir, 0, null, null, null, List.of(), List.of(),
                List.of(), 0, 0, null, null, null);
    }

    /** A member with no manifest at all: it failed before it could write one. */
    public static RunMember failedBeforeStart(int id, long seed, String dir, String reason) {
        return new RunMember(id, seed, MemberStatus.FAILED, reason, dir, 0, null, null, null, List.of(), List.of(),
                List.of(), 0, 0, null, null, null);
    }
}
