package io.chorus.worker.train;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.preprocessor.NormalizerStandardize;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.schedule.ISchedule;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chorus.worker.Seeds;
import io.chorus.worker.data.BatchSource;
import io.chorus.worker.engine.Devices;
import io.chorus.worker.engine.Engine;
import io.chorus.worker.engine.onednn.OneDnn;
import io.chorus.worker.engine.onednn.OneDnnNetwork;
import io.chorus.worker.engine.onednn.UnsupportedGraphException;
import io.chorus.worker.data.Normalization;
import io.chorus.worker.train.schedule.CyclicCosineSchedule;
import io.chorus.worker.train.schedule.LearningRateSchedules;
import io.chorus.worker.zoo.ModelZoo;

/**
 * Trains one member from its {@link MemberSpec} and writes its snapshots and manifest into a member
 * directory. This is the body of one Spark task, and it runs just as well without Spark.
 *
 * <p>Determinism: initialization comes from the member seed, the data order and augmentation of epoch
 * {@code e} from (seed, e), and ND4J's generator is reseeded from (seed, iteration) before every update,
 * so dropout masks depend on the iteration alone. Hence a member restarted from any committed snapshot
 * continues exactly as if it had never stopped, and with one thread its parameters are bitwise equal to
 * an uninterrupted run's.
 *
 * <p>A non-finite minibatch loss stops the member and marks it {@code diverged}; the snapshots it
 * committed before stay listed.
 */
public final class MemberTrainer {
    private static final Logger LOG = LoggerFactory.getLogger(MemberTrainer.class);
    /** The purpose salt of the dropout seeds, {@code Seeds.mix(SALT_DROPOUT, memberSeed, iteration, ...)}. */
    public static final long SALT_DROPOUT = 0x44524f504f5554L; // "DROPOUT"
    private static final long PROGRESS_EVERY_NANOS = 5_000_000_000L;
    static final int EVAL_BATCH = 500;
    static final long SUPERSEDED_POLL_MILLIS = 1000;
    /** Images of the batch whose activations are measured at initialization. */
    static final int DIAGNOSTIC_EXAMPLES = 256;

    /**
     * Runs before every update with the 0-based iteration about to run. Fault injection (a crash, a NaN
     * parameter) goes through it, so recovery is tested on the real training path.
     */
    @FunctionalInterface
    public interface IterationHook {
        IterationHook NONE = (net, iteration) -> { };

        void beforeUpdate(ComputationGraph net, long iteration);
    }

    private final FileSystem fs;
    private final IterationHook hook;

    public MemberTrainer(FileSystem fs) {
        this(fs, IterationHook.NONE);
    }

    public MemberTrainer(FileSystem fs, IterationHook hook) {
        this.fs = fs;
        this.hook = hook;
    }

    /**
     * Trains {@code spec} in {@code memberDir}.
     *
     * @param resume if the directory already holds a manifest: continue from its newest verified snapshot
     *               (a finished or diverged member is returned as it is); without {@code resume} an existing
     *               manifest is an error, so nothing already written is lost by accident
     * @return the member's final manifest
     */
    public MemberManifest train(MemberSpec spec, PreparedData data, Path memberDir, boolean resume,
                                Progress.Listener listener) throws IOException {
        return train(spec, data, memberDir, resume, listener, Attempt.here("in-process"));
    }

    /** As {@link #train(MemberSpec, PreparedData, Path, boolean, Progress.Listener)}, recording where it runs. */
    public MemberManifest train(MemberSpec spec, PreparedData data, Path memberDir, boolean resume,
                                Progress.Listener listener, Attempt.Placement where) throws IOException {
        SnapshotStore store = new SnapshotStore(fs, memberDir);
        try {
            return attempt(spec, data, memberDir, resume, listener, where, store);
        } catch (SupersededAttemptException e) {
            LOG.info("{}; waiting for the member to end", e.getMessage());
            return awaitEnd(store);
        }
    }

    /**
     * A superseded attempt neither fails nor succeeds on its own: failing would count against the task's
     * retries (and, with speculation, invite yet another copy), succeeding first would make Spark cancel
     * the attempt that is doing the work. It waits, cheaply, until the member ends and returns that
     * outcome; Spark cancels it by interruption when the other attempt's result arrives first.
     */
    private static MemberManifest awaitEnd(SnapshotStore store) throws IOException {
        while (true) {
            MemberManifest m = store.readManifest().orElseThrow(
                    () -> new IOException("member manifest " + store.manifestPath() + " disappeared"));
            if (m.getStatus().terminal()) {
                return m;
            }
            try {
                Thread.sleep(SUPERSEDED_POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("superseded attempt cancelled while waiting for "
                        + store.manifestPath());
            }
        }
    }

    private MemberManifest attempt(MemberSpec spec, PreparedData data, Path memberDir, boolean resume,
                                   Progress.Listener listener, Attempt.Placement where, SnapshotStore store)
            throws IOException {
        TrainSpec t = spec.train();
        NativeThreads.set(t.threads());
        BatchSource batches = new BatchSource(data.train(), data.normalization(), t.batch(),
                spec.data().augmentation(), spec.data().bootstrap(), spec.seed());
        int perEpoch = batches.batchesPerEpoch();
        long total = (long) perEpoch * t.epochs();
        if (total > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("train.epochs: " + t.epochs() + " epochs of " + perEpoch
                    + " iterations exceed the 2^31 iterations DL4J can count");
        }
        ISchedule schedule = LearningRateSchedules.create(t, perEpoch);
        NormalizerStandardize normalizer = pixelNormalizer(data.normalization());

        Opened opened = open(store, spec, data, resume, schedule, perEpoch, batches.examples());
        if (opened.net() == null) {
            return opened.manifest();
        }
        ComputationGraph net = opened.net();
        MemberManifest manifest = opened.manifest();
        InitDiagnostics.GradientRecorder recorder = opened.atInit() == null ? null : opened.atInit().gradientRecorder();
        OneDnnNetwork engine = t.engine().wantsOneDnn(device(where)) ? compile(net, data, spec) : null;
        try {
            if (engine == null && recorder != null) {
                net.addListeners(recorder);
            }
            String engineName = engine != null ? "onednn" : "dl4j-" + Engine.name();
            String isa = engine != null ? OneDnn.cpuIsa() : null;
            if (net.getIterationCount() > 0) {
                resumeDrift(manifest.getAttemptLog(), engineName, t.threads(), isa)
                        .ifPresent(why -> LOG.warn("member {} {}", spec.id(), why));
            }
            store.beginAttempt(manifest, where, net.getIterationCount(), engineName, t.threads(), isa);
            return trainLoop(spec, data, t, batches, schedule, normalizer, net, engine, recorder, manifest, store, listener);
        } finally {
            if (engine != null) {
                engine.close(); // the member's native memory, also when it fails or is interrupted
            }
        }
    }

    /**
     * A member's state at the start of an attempt.
     *
     * @param net      the network to continue (null: the member already ended, {@code manifest} says how)
     * @param atInit   the diagnostics at initialization when the network is new, else null
     */
    public record Opened(ComputationGraph net, MemberManifest manifest, InitDiagnostics atInit) {
    }

    /**
     * Opens the member in {@code store} for training: the network of its newest verified snapshot (corrupt
     * ones quarantined, the manifest cut back to it), or a new network from the member seed and a new
     * manifest when nothing was committed. The updater follows {@code schedule}; {@code perEpoch} is the number
     * of updates per epoch the manifest records.
     *
     * @throws IllegalStateException if the store holds a manifest and {@code resume} is false
     */
    public static Opened open(SnapshotStore store, MemberSpec spec, PreparedData data, boolean resume, ISchedule schedule,
                              int perEpoch, int examples) throws IOException {
        TrainSpec t = spec.train();
        ComputationGraph net = null;
        MemberManifest manifest = store.readManifest().orElse(null);
        if (manifest != null) {
            if (!resume) {
                throw new IllegalStateException("member " + spec.id() + " already has a manifest at "
                        + store.manifestPath() + "; resume it or train into an empty directory");
            }
            if (manifest.getStatus().terminal()) {
                LOG.info("member {} is already {}; nothing to do", spec.id(), manifest.getStatus().configName());
                return new Opened(null, manifest, null);
            }
            var last = store.quarantineCorrupt(manifest);
            if (last.isPresent()) {
                net = store.load(last.get(), true);
                manifest.truncateAfter(last.get().iteration());
                LOG.info("member {} resumes from {} (iteration {})", spec.id(), last.get().path(), last.get().iteration());
                return new Opened(net, manifest, null);
            }
            manifest.truncateAfter(0); // starts over, keeping the attempt log so older attempts are fenced off
        }
        IUpdater updater = t.optimizer() == OptimizerKind.SGD ? new Nesterovs(schedule, t.momentum()) : new Adam(schedule);
        net = ModelZoo.build(spec.model(), data.shape(), data.classes(), spec.seed(), updater, t.weightDecay());
        if (manifest == null) {
            manifest = new MemberManifest(spec.id(), spec.seed(), spec.model().arch().configName(), net.numParams(),
                    data.shape(), data.classes(), data.normalization(), t.epochs(), perEpoch, examples);
        }
        DataSet probe = BatchSource.toDataSet(data.train(), data.normalization(), 0,
                Math.min(DIAGNOSTIC_EXAMPLES, data.train().size()));
        InitDiagnostics atInit = InitDiagnostics.atInitialization(net, probe.getFeatures());
        manifest.setDiagnostics(atInit);
        return new Opened(net, manifest, atInit);
    }

    /**
     * Why a resume on {@code engine} with {@code threads} native threads and instruction set {@code isa}
     * will not continue bit for bit as the member's last recorded attempt would have: another engine,
     * thread count or ISA changes the order of float sums (oneDNN picks other kernels). Empty when all three
     * match, or when no earlier attempt recorded them.
     */
    static java.util.Optional<String> resumeDrift(List<Attempt> log, String engine, Integer threads, String isa) {
        Attempt last = null;
        for (Attempt a : log) {
            if (a.engine() != null && (last == null || a.number() > last.number())) {
                last = a;
            }
        }
        if (last == null || (java.util.Objects.equals(last.engine(), engine) && java.util.Objects.equals(last.threads(), threads)
                && java.util.Objects.equals(last.isa(), isa))) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(String.format(java.util.Locale.ROOT,
                "resumes on %s with %s thread(s)%s where attempt %d trained on %s with %s thread(s)%s: it continues "
                        + "from the snapshot, but not bit for bit as an uninterrupted run would (float sums run in "
                        + "another order)", engine, threads, isa == null ? "" : ", ISA " + isa, last.number(),
                last.engine(), last.threads(), last.isa() == null ? "" : ", ISA " + last.isa()));
    }

    /** {@code cpu}, or {@code cuda} when the member's task holds a GPU that ND4J runs on. */
    private static String device(Attempt.Placement where) {
        return where.gpus().isEmpty() || !Devices.cuda() ? "cpu" : "cuda";
    }

    /** The member's network compiled onto the oneDNN engine, or null (logged) if the engine cannot run it. */
    static OneDnnNetwork compile(ComputationGraph net, PreparedData data, MemberSpec spec) {
        try {
            return OneDnnNetwork.compile(net, data.shape().channels(), data.shape().height(), data.shape().width());
        } catch (UnsupportedGraphException e) {
            LOG.warn("member {} trains on DL4J's path: the oneDNN engine cannot compile it ({})", spec.id(),
                    e.getMessage());
            return null;
        }
    }

    private MemberManifest trainLoop(MemberSpec spec, PreparedData data, TrainSpec t, BatchSource batches,
                                     ISchedule schedule, NormalizerStandardize normalizer, ComputationGraph net,
                                     OneDnnNetwork engine, InitDiagnostics.GradientRecorder recorder,
                                     MemberManifest manifest, SnapshotStore store, Progress.Listener listener)
            throws IOException {
        int perEpoch = batches.batchesPerEpoch();
        long total = (long) perEpoch * t.epochs();

        CyclicCosineSchedule cyclic = schedule instanceof CyclicCosineSchedule c ? c : null;
        long startIteration = net.getIterationCount();
        int startEpoch = (int) (startIteration / perEpoch);
        for (int epoch = startEpoch; epoch < t.epochs(); epoch++) {
            net.getConfiguration().setEpochCount(epoch);
            int fromBatch = epoch == startEpoch ? (int) (startIteration % perEpoch) : 0;
            Iterator<DataSet> it = batches.epoch(epoch, fromBatch);
            long epochStart = System.nanoTime();
            long lastReport = epochStart;
            double lossSum = 0;
            long images = 0;
            double lr = Double.NaN;
            boolean cycleEndSnapshotted = false;
            while (it.hasNext()) {
                if (Thread.interrupted()) { // Spark kills a task attempt by interrupting its thread
                    throw new java.io.InterruptedIOException("member " + spec.id() + " stopped at update "
                            + (engine != null ? engine.iteration() : net.getIterationCount())
                            + ": its task attempt was killed");
                }
                DataSet ds = it.next();
                int iteration = engine != null ? engine.iteration() : net.getIterationCount();
                lr = schedule.valueAt(iteration, epoch);
                int n = ds.numExamples();
                double loss;
                if (engine != null) {
                    loss = engineUpdate(engine, net, ds, spec.seed(), iteration, lr, recorder);
                } else {
                    Nd4j.getRandom().setSeed(Seeds.mix(SALT_DROPOUT, spec.seed(), iteration));
                    hook.beforeUpdate(net, iteration);
                    net.fit(ds);
                    loss = net.score();
                }
                if (recorder != null) {
                    manifest.setDiagnostics(recorder.result());
                    if (recorder.done()) {
                        net.setListeners();
                        recorder = null;
                    }
                }
                boolean paramsFinite = engine == null || engine.parametersFinite();
                if (!Double.isFinite(loss) || !paramsFinite) {
                    return diverged(manifest, store, loss, images, (System.nanoTime() - epochStart) / 1e9,
                            "epoch " + (epoch + 1) + ", iteration " + (iteration + 1));
                }
                lossSum += loss * n;
                images += n;
                boolean epochEnd = !it.hasNext();
                if (cyclic != null && cyclic.isCycleEnd(iteration) && !epochEnd) {
                    if (engine != null) {
                        engine.copyTo(net);
                    }
                    store.commit(net, normalizer, manifest, epoch + 1, iteration + 1L, lr,
                            List.of(SnapshotKind.CYCLE), null, null);
                } else if (cyclic != null && cyclic.isCycleEnd(iteration)) {
                    cycleEndSnapshotted = true;
                }
                long now = System.nanoTime();
                if (now - lastReport > PROGRESS_EVERY_NANOS || epochEnd) {
                    lastReport = now;
                    double rate = images / ((now - epochStart) / 1e9);
                    long done = iteration + 1L;
                    double eta = (total - done) * (double) t.batch() / Math.max(rate, 1e-9);
                    listener.onProgress(new Progress(spec.id(), epoch + 1, t.epochs(), done, total, loss, rate, eta));
                }
            }
            double seconds = (System.nanoTime() - epochStart) / 1e9;
            if (engine != null) {
                engine.copyTo(net); // validation and the snapshot read the ComputationGraph
            }
            endEpoch(spec, data, net, normalizer, manifest, store, epoch, lossSum / Math.max(1, images), images, seconds,
                    lr, cycleEndSnapshotted);
        }
        return manifest;
    }

    /**
     * Ends the member as diverged at {@code where} (its training loss {@code loss}, or its parameters, not
     * finite), counting the epoch's {@code images} and {@code seconds} so far; the snapshots it committed stay.
     */
    public static MemberManifest diverged(MemberManifest manifest, SnapshotStore store, double loss, long images,
                                          double seconds, String where) throws IOException {
        manifest.addTraining(images, seconds);
        manifest.finish(MemberStatus.DIVERGED, (Double.isFinite(loss) ? "non-finite parameters"
                : "non-finite training loss " + loss) + " at " + where);
        store.writeManifest(manifest);
        LOG.warn("member {} diverged: {}", manifest.getMember(), manifest.getReason());
        return manifest;
    }

    /**
     * Ends 0-based {@code epoch} of a member: its validation scores and metrics go into the manifest, and the
     * snapshot due there (epoch, cycle end, SWA point, final) is committed, or else the manifest is written.
     * After the last epoch the member is finished.
     *
     * @param trainLoss the mean minibatch loss of the epoch
     * @param cycleEnd  whether a cyclic schedule's cycle ended with the epoch's last update
     */
    public static void endEpoch(MemberSpec spec, PreparedData data, ComputationGraph net, NormalizerStandardize normalizer,
                                MemberManifest manifest, SnapshotStore store, int epoch, double trainLoss, long images,
                                double seconds, double lr, boolean cycleEnd) throws IOException {
        TrainSpec t = spec.train();
        long evalStart = System.nanoTime();
        Scores val = Scores.of(net, data.validation(), data.normalization(), EVAL_BATCH);
        EpochMetrics metrics = new EpochMetrics(epoch + 1, trainLoss, val.nll(), val.accuracy(), lr, images / seconds,
                seconds, (System.nanoTime() - evalStart) / 1e9);
        manifest.addEpoch(metrics);
        manifest.addTraining(images, seconds);
        LOG.info("member {} epoch {}/{}: loss {}, val loss {}, val acc {}, lr {}, {} img/s", spec.id(), epoch + 1,
                t.epochs(), fmt(metrics.trainLoss()), fmt(val.nll()), fmt(val.accuracy()), fmt(lr),
                Math.round(metrics.imagesPerSecond()));

        List<SnapshotKind> kinds = snapshotKinds(t, epoch, cycleEnd);
        if (epoch == t.epochs() - 1) {
            manifest.finish(MemberStatus.FINISHED, null);
        }
        if (kinds.isEmpty()) {
            store.writeManifest(manifest);
        } else {
            store.commit(net, normalizer, manifest, epoch + 1, net.getIterationCount(), lr, kinds,
                    finiteOrNull(val.accuracy()), finiteOrNull(val.nll()));
        }
    }

    /**
     * One update on the engine. The hook sees a ComputationGraph holding the engine's state, and what it
     * changes there is what the update starts from (so a fault injected into the parameters reaches the
     * engine); without a hook no parameter leaves native memory. Returns the minibatch score.
     */
    private double engineUpdate(OneDnnNetwork engine, ComputationGraph net, DataSet ds, long seed, int iteration,
                                double lr, InitDiagnostics.GradientRecorder recorder) {
        engine.setDropoutSeed(Seeds.mix(SALT_DROPOUT, seed, iteration));
        if (hook != IterationHook.NONE) {
            engine.copyTo(net);
            hook.beforeUpdate(net, iteration);
            engine.loadFrom(net);
        }
        if (recorder == null) {
            return engine.fit(ds.getFeatures(), ds.getLabels(), lr); // the L2 score from the update's own pass
        }
        double loss = engine.gradient(ds.getFeatures(), ds.getLabels());
        // DL4J's listeners see the gradient summed over the minibatch, the engine holds its mean.
        recorder.record(engine.gradientSquares(ds.numExamples()));
        engine.update(lr);
        return loss;
    }

    /** Why the snapshot at the end of 0-based {@code epoch} is taken; empty if none is due. */
    public static List<SnapshotKind> snapshotKinds(TrainSpec t, int epoch, boolean cycleEnd) {
        List<SnapshotKind> kinds = new ArrayList<>();
        int done = epoch + 1;
        if (t.snapshotEvery() > 0 && done % t.snapshotEvery() == 0) {
            kinds.add(SnapshotKind.EPOCH);
        }
        if (cycleEnd) {
            kinds.add(SnapshotKind.CYCLE);
        }
        if (t.swaEvery() > 0) {
            int first = Math.max(1, (int) Math.ceil(t.swaStart() * t.epochs()));
            if (done >= first && (done - first) % t.swaEvery() == 0) {
                kinds.add(SnapshotKind.SWA);
            }
        }
        if (done == t.epochs()) {
            kinds.add(SnapshotKind.FINAL);
        }
        return kinds;
    }

    /**
     * The member's normalization expressed on raw pixel values (0..255), per channel, so that a DL4J user
     * who restores the normalizer from a snapshot zip applies it to raw images directly.
     */
    public static NormalizerStandardize pixelNormalizer(Normalization n) {
        float[] mean = new float[n.mean().length];
        float[] std = new float[n.std().length];
        for (int c = 0; c < mean.length; c++) {
            mean[c] = n.mean()[c] * 255f;
            std[c] = n.std()[c] * 255f;
        }
        return new NormalizerStandardize(Nd4j.createFromArray(mean), Nd4j.createFromArray(std));
    }

    private static Double finiteOrNull(double v) {
        return Double.isFinite(v) ? v : null;
    }

    private static String fmt(double v) {
        return String.format(java.util.Locale.ROOT, "%.4f", v);
    }
}
