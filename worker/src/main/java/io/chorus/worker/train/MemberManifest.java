package io.chorus.worker.train;

import java.util.ArrayList;
import java.util.List;

import io.chorus.worker.data.ImageShape;
import io.chorus.worker.data.Normalization;

/**
 * A member's {@code member.json}: the only authority on which of its snapshots exist. It is rewritten
 * atomically after every commit, so readers see the state before a commit or after it, never between.
 *
 * <p>It also carries what a reader needs to use a snapshot without the job configuration: the input
 * shape, the number of classes and the training-set normalization.
 */
public final class MemberManifest {
    public static final int FORMAT = 1;

    private int format = FORMAT;
    private int member;
    private long seed;
    private MemberStatus status = MemberStatus.RUNNING;
    private String reason;
    private String arch;
    private long parameters;
    private ImageShape input;
    private int classes;
    private Normalization normalization;
    private int epochsPlanned;
    private int iterationsPerEpoch;
    private int examplesPerEpoch;
    private long imagesSeen;
    private double trainSeconds;
    private int attempts;
    private List<Attempt> attemptLog = new ArrayList<>();
    private List<SnapshotRecord> snapshots = new ArrayList<>();
    private List<EpochMetrics> epochs = new ArrayList<>();
    private InitDiagnostics diagnostics;
    @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
    private Replication replication;
    private List<Quarantined> quarantined = new ArrayList<>();

    /**
     * A snapshot that failed its checksum and was moved to snapshots/quarantine/.
     *
     * @param snapshot what the manifest had listed
     * @param actualSha256 what the file hashed to ("missing" if it was gone)
     * @param when ISO-8601 instant
     */
    public record Quarantined(SnapshotRecord snapshot, String actualSha256, String when) {
    }

    public MemberManifest() {
    }

    public MemberManifest(int member, long seed, String arch, long parameters, ImageShape input, int classes,
                          Normalization normalization, int epochsPlanned, int iterationsPerEpoch,
                          int examplesPerEpoch) {
        this.member = member;
        this.seed = seed;
        this.arch = arch;
        this.parameters = parameters;
        this.input = input;
        this.classes = classes;
        this.normalization = normalization;
        this.epochsPlanned = epochsPlanned;
        this.iterationsPerEpoch = iterationsPerEpoch;
        this.examplesPerEpoch = examplesPerEpoch;
    }

    /** The latest committed snapshot, if any. */
    public java.util.Optional<SnapshotRecord> lastSnapshot() {
        return snapshots.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(snapshots.get(snapshots.size() - 1));
    }

    public void addSnapshot(SnapshotRecord s) {
        snapshots.add(s);
    }

    public void addEpoch(EpochMetrics e) {
        epochs.removeIf(old -> old.epoch() == e.epoch());
        epochs.add(e);
    }

    /** Forgets everything recorded after {@code iteration}: used when resuming from an earlier snapshot. */
    public void truncateAfter(long iteration) {
        snapshots.removeIf(s -> s.iteration() > iteration);
        int completedEpochs = (int) (iteration / Math.max(1, iterationsPerEpoch));
        epochs.removeIf(e -> e.epoch() > completedEpochs);
    }

    /** Drops {@code bad} from the snapshots and records it as quarantined. */
    public void quarantine(SnapshotRecord bad, String actualSha256, String when) {
        snapshots.remove(bad);
        quarantined.add(new Quarantined(bad, actualSha256, when));
    }

    public void addTraining(long images, double seconds) {
        imagesSeen += images;
        trainSeconds += seconds;
    }

    /** Opens the next attempt; an earlier one still marked running never came back, so it crashed. */
    public void startAttempt(Attempt.Placement where, long resumedAt, String engine) {
        startAttempt(attempts + 1, where, resumedAt, engine, null, null);
    }

    /**
     * Opens attempt {@code number} (claimed by {@link SnapshotStore#beginAttempt}, so no other attempt has it),
     * with the threads and oneDNN ISA it computes with.
     */
    void startAttempt(int number, Attempt.Placement where, long resumedAt, String engine, Integer threads, String isa) {
        attemptLog.replaceAll(a -> "running".equals(a.outcome()) ? a.withOutcome("crashed") : a);
        attempts = number;
        attemptLog.add(new Attempt(attempts, where.executor(), where.host(), where.pid(),
                java.time.Instant.now().toString(), resumedAt, engine, "running", where.gpus(), threads, isa));
        status = MemberStatus.RUNNING;
        reason = null;
    }

    /**
     * Adds the attempts of {@code others} (an older attempt's manifest, read from disk) that this log lacks,
     * in attempt order: an attempt that started from no manifest while another one was starting too keeps
     * that one in its log.
     */
    void mergeAttempts(List<Attempt> others) {
        java.util.Set<Integer> known = new java.util.HashSet<>();
        attemptLog.forEach(a -> known.add(a.number()));
        boolean added = false;
        for (Attempt a : others) {
            if (known.add(a.number())) {
                attemptLog.add(a);
                added = true;
            }
        }
        if (added) {
            attemptLog.sort(java.util.Comparator.comparingInt(Attempt::number));
        }
    }

    /** Sets the final status and closes the current attempt with it. */
    public void finish(MemberStatus status, String reason) {
        this.status = status;
        this.reason = reason;
        if (!attemptLog.isEmpty()) {
            int last = attemptLog.size() - 1;
            attemptLog.set(last, attemptLog.get(last).withOutcome(status.configName()));
        }
    }

    public int getFormat() { return format; }
    public int getMember() { return member; }
    public long getSeed() { return seed; }
    public MemberStatus getStatus() { return status; }
    public String getReason() { return reason; }
    public String getArch() { return arch; }
    public long getParameters() { return parameters; }
    public ImageShape getInput() { return input; }
    public int getClasses() { return classes; }
    public Normalization getNormalization() { return normalization; }
    public int getEpochsPlanned() { return epochsPlanned; }
    public int getIterationsPerEpoch() { return iterationsPerEpoch; }
    public int getExamplesPerEpoch() { return examplesPerEpoch; }
    public long getImagesSeen() { return imagesSeen; }
    public double getTrainSeconds() { return trainSeconds; }
    public int getAttempts() { return attempts; }
    public List<Attempt> getAttemptLog() { return attemptLog; }
    public List<SnapshotRecord> getSnapshots() { return snapshots; }
    public List<EpochMetrics> getEpochs() { return epochs; }
    /** Activations at initialization and gradients of the first updates; null for members trained before. */
    public InitDiagnostics getDiagnostics() { return diagnostics; }
    /** How the member trained data-parallel, or null for a member of one replica. */
    public Replication getReplication() { return replication; }
    public void setReplication(Replication replication) { this.replication = replication; }
    public List<Quarantined> getQuarantined() { return quarantined; }

    // Setters exist for the JSON reader only.
    void setFormat(int format) { this.format = format; }
    void setMember(int member) { this.member = member; }
    void setSeed(long seed) { this.seed = seed; }
    void setStatus(MemberStatus status) { this.status = status; }
    void setReason(String reason) { this.reason = reason; }
    void setArch(String arch) { this.arch = arch; }
    void setParameters(long parameters) { this.parameters = parameters; }
    void setInput(ImageShape input) { this.input = input; }
    void setClasses(int classes) { this.classes = classes; }
    void setNormalization(Normalization normalization) { this.normalization = normalization; }
    void setEpochsPlanned(int epochsPlanned) { this.epochsPlanned = epochsPlanned; }
    void setIterationsPerEpoch(int iterationsPerEpoch) { this.iterationsPerEpoch = iterationsPerEpoch; }
    void setExamplesPerEpoch(int examplesPerEpoch) { this.examplesPerEpoch = examplesPerEpoch; }
    void setImagesSeen(long imagesSeen) { this.imagesSeen = imagesSeen; }
    void setTrainSeconds(double trainSeconds) { this.trainSeconds = trainSeconds; }
    void setAttempts(int attempts) { this.attempts = attempts; }
    void setAttemptLog(List<Attempt> attemptLog) { this.attemptLog = new ArrayList<>(attemptLog); }
    void setSnapshots(List<SnapshotRecord> snapshots) { this.snapshots = new ArrayList<>(snapshots); }
    void setEpochs(List<EpochMetrics> epochs) { this.epochs = new ArrayList<>(epochs); }
    void setDiagnostics(InitDiagnostics diagnostics) { this.diagnostics = diagnostics; }
    void setQuarantined(List<Quarantined> quarantined) { this.quarantined = new ArrayList<>(quarantined); }
}
