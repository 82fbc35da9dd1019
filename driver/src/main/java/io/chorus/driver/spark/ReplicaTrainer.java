package io.chorus.driver.spark;

import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.api.Repartition;
import org.deeplearning4j.spark.api.TrainingHook;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.dataset.api.preprocessor.NormalizerStandardize;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.schedule.ISchedule;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chorus.driver.run.MemberOutcome;
import io.chorus.driver.run.MemberTask;
import io.chorus.driver.run.ProgressFile;
import io.chorus.driver.run.RunLayout;
import io.chorus.driver.run.TrainingData;
import io.chorus.worker.Seeds;
import io.chorus.worker.data.BatchSource;
import io.chorus.worker.engine.Engine;
import io.chorus.worker.fs.HadoopFiles;
import io.chorus.worker.train.Attempt;
import io.chorus.worker.train.MemberManifest;
import io.chorus.worker.train.MemberSpec;
import io.chorus.worker.train.MemberTrainer;
import io.chorus.worker.train.NativeThreads;
import io.chorus.worker.train.PreparedData;
import io.chorus.worker.train.Progress;
import io.chorus.worker.train.Replication;
import io.chorus.worker.train.SnapshotKind;
import io.chorus.worker.train.SnapshotStore;
import io.chorus.worker.train.TrainSpec;
import io.chorus.worker.train.schedule.CyclicCosineSchedule;
import io.chorus.worker.train.schedule.LearningRateSchedules;

/**
 * Trains one member data-parallel ({@code train.replicas} K above 1): the driver holds the member's network
 * and runs its epochs as averaging rounds of dl4j-spark's {@link ParameterAveragingTrainingMaster}, each round
 * a Spark job of K tasks (one per replica) that start from the member's parameters and optimizer state,
 * train {@code train.averaging_every} minibatches each and are averaged, optimizer state included
 * ({@code saveUpdater}). The replicas train on DL4J's path (its oneDNN helpers on the CPU build, CUDA on the
 * CUDA build); Chorus's own engine cannot be driven from dl4j-spark's workers.
 *
 * <p>The member is still one trajectory: it opens, resumes and commits through the same {@link SnapshotStore}
 * and manifest as a member of one replica, with its snapshots at the same points (epoch ends, SWA points, the
 * final one; a cycle end at the end of the round it falls in), so everything downstream reads it unchanged.
 * Minibatches are built on the executors from the broadcast training data, as pure functions of (member
 * seed, epoch, batch); which replica trains which batches is fixed by {@link ReplicaPlan}; dropout masks
 * come from (member seed, iteration, replica).
 *
 * <p>Failures: a replica's task that fails is retried by Spark within its round (up to
 * spark.task.maxFailures, from the broadcast state, so the round's result is the first try's; a task lost
 * with its executor is often not counted at all, when the driver hears of the disconnect first).
 * A round that fails anyway resumes the member from its last committed snapshot, as a new attempt in its
 * manifest, up to {@value #MAX_ATTEMPTS} attempts in all.
 */
final class ReplicaTrainer {
    private static final Logger LOG = LoggerFactory.getLogger(ReplicaTrainer.class);
    static final int MAX_ATTEMPTS = 4;
    private static final long PROGRESS_EVERY_NANOS = 5_000_000_000L;

    private final JavaSparkContext jsc;
    private final Broadcast<TrainingData> data;
    private final MemberTask task;
    private final String runDir;
    private final long jobSeed;
    private final Configuration hadoop;

    /** @param task what the member's replicas share with a member of one replica: its injected faults, for tests */
    ReplicaTrainer(JavaSparkContext jsc, Broadcast<TrainingData> data, MemberTask task, String runDir, long jobSeed,
                   Configuration hadoop) {
        this.jsc = jsc;
        this.data = data;
        this.task = task;
        this.runDir = runDir;
        this.jobSeed = jobSeed;
        this.hadoop = hadoop;
    }

    /** Trains {@code spec} to its end (finished, diverged, or failed after {@value #MAX_ATTEMPTS} attempts). */
    MemberOutcome train(MemberSpec spec, TrainingData local) {
        jsc.setJobGroup("chorus-member-" + spec.id(), String.format(Locale.ROOT, "Chorus member %d: %s, seed %d, %d replicas",
                spec.id(), spec.model().arch().configName(), spec.seed(), spec.train().replicas()), false);
        Attempt.Placement here = Attempt.here("driver");
        Exception last = null;
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            try {
                MemberManifest m = attempt(spec, local, here, attempt - 1);
                return new MemberOutcome(spec.id(), m.getStatus(), m.getReason(), here.executor(), here.host(), here.pid(),
                        attempt - 1);
            } catch (java.io.InterruptedIOException e) {
                return MemberOutcome.failed(spec.id(), e);
            } catch (Exception e) {
                if (Thread.currentThread().isInterrupted()) {
                    return MemberOutcome.failed(spec.id(), e);
                }
                last = e;
                LOG.warn("member {}: attempt {} of {} failed ({}){}", spec.id(), attempt, MAX_ATTEMPTS,
                        String.valueOf(e.getMessage()).lines().findFirst().orElse(""),
                        attempt < MAX_ATTEMPTS ? "; it resumes from its last committed snapshot" : "", e);
            }
        }
        return MemberOutcome.failed(spec.id(), last);
    }

    private MemberManifest attempt(MemberSpec spec, TrainingData local, Attempt.Placement here, int attempt)
            throws IOException {
        TrainSpec t = spec.train();
        PreparedData prepared = local.prepared(spec.data(), jobSeed);
        BatchSource batches = batchSource(spec, prepared);
        ReplicaPlan plan = new ReplicaPlan(batches.batchesPerEpoch(), t.replicas(), t.averagingEvery());
        ISchedule schedule = LearningRateSchedules.create(t, plan.iterationsPerEpoch());
        Path dir = RunLayout.memberDir(new Path(runDir), spec.id());
        FileSystem fs = HadoopFiles.fileSystem(dir, hadoop);
        SnapshotStore store = new SnapshotStore(fs, dir);
        ProgressFile progress = new ProgressFile(fs, dir);

        MemberTrainer.Opened opened = MemberTrainer.open(store, spec, prepared, true, schedule, plan.iterationsPerEpoch(),
                batches.examples());
        MemberManifest manifest = opened.manifest();
        if (opened.net() == null) {
            return manifest;
        }
        ComputationGraph net = opened.net();
        manifest.setReplication(replication(plan));
        String engine = "dl4j-" + Engine.name();
        store.beginAttempt(manifest, here, net.getIterationCount(), engine, t.threads(), null);

        ParameterAveragingTrainingMaster master = new ParameterAveragingTrainingMaster.Builder(t.replicas(), t.batch())
                .batchSizePerWorker(t.batch())
                .averagingFrequency(t.averagingEvery())
                .saveUpdater(true)
                .workerPrefetchNumBatches(0)
                .repartionData(Repartition.Never) // one partition per replica already, with the batches the plan gives it
                .rddTrainingApproach(RDDTrainingApproach.Direct)
                .storageLevel(null) // a round's batches are built once, by the count, then again by the replicas
                .rngSeed(spec.seed())
                .build();
        SparkComputationGraph sparkNet = new SparkComputationGraph(jsc, net, master);
        NormalizerStandardize normalizer = MemberTrainer.pixelNormalizer(prepared.normalization());
        CyclicCosineSchedule cyclic = schedule instanceof CyclicCosineSchedule c ? c : null;
        SliceBatches build = new SliceBatches(spec, jobSeed, data);
        ReplicaHook hook = null;

        long total = (long) plan.iterationsPerEpoch() * t.epochs();
        int startEpoch = plan.epochOf(net.getIterationCount());
        for (int epoch = startEpoch; epoch < t.epochs(); epoch++) {
            int fromRound = epoch == startEpoch ? plan.roundOf(net.getIterationCount()) : 0;
            long epochStart = System.nanoTime();
            long lastReport = epochStart;
            double lossSum = 0;
            long images = 0;
            double lr = Double.NaN;
            boolean cycleEndAtEpochEnd = false;
            for (int round = fromRound; round < plan.roundsPerEpoch(); round++) {
                if (Thread.interrupted()) {
                    throw new java.io.InterruptedIOException("member " + spec.id() + " stopped at iteration "
                            + net.getIterationCount() + ": the job was stopped");
                }
                long iteration = net.getIterationCount();
                lr = schedule.valueAt((int) iteration, epoch);
                List<ReplicaPlan.Slice> slices = plan.round(epoch, round);
                int n = 0;
                for (ReplicaPlan.Slice s : slices) {
                    n += examples(s, batches);
                }
                net.getConfiguration().setEpochCount(epoch);
                if (hook != null) {
                    master.removeHook(hook);
                }
                hook = new ReplicaHook(spec.id(), spec.seed(), t.threads(), task, attempt, iteration, epoch);
                master.addHook(hook);
                JavaRDD<DataSet> rdd = jsc.parallelize(slices, slices.size()).flatMap(build);
                sparkNet.fit(rdd);
                double loss = sparkNet.getScore();
                if (!Double.isFinite(loss) || !Double.isFinite(net.params().sumNumber().doubleValue())) {
                    return MemberTrainer.diverged(manifest, store, loss, images, (System.nanoTime() - epochStart) / 1e9,
                            "epoch " + (epoch + 1) + ", averaging round " + (round + 1));
                }
                lossSum += loss * n;
                images += n;
                long end = net.getIterationCount(); // the round's last iteration is end - 1
                boolean cycleEnd = cyclic != null && cycleEndWithin(cyclic, iteration, end);
                boolean epochEnd = round == plan.roundsPerEpoch() - 1;
                if (cycleEnd && !epochEnd) {
                    store.commit(net, normalizer, manifest, epoch + 1, end, lr, List.of(SnapshotKind.CYCLE), null, null);
                } else if (cycleEnd) {
                    cycleEndAtEpochEnd = true;
                }
                long now = System.nanoTime();
                if (now - lastReport > PROGRESS_EVERY_NANOS || epochEnd) {
                    lastReport = now;
                    double rate = images / ((now - epochStart) / 1e9);
                    double eta = (total - end) / (double) plan.iterationsPerEpoch() * batches.examples() / Math.max(rate, 1e-9);
                    progress.write(new Progress(spec.id(), epoch + 1, t.epochs(), end, total, loss, rate, eta));
                }
            }
            double seconds = (System.nanoTime() - epochStart) / 1e9;
            MemberTrainer.endEpoch(spec, prepared, net, normalizer, manifest, store, epoch, lossSum / Math.max(1, images),
                    images, seconds, lr, cycleEndAtEpochEnd);
        }
        return manifest;
    }

    /** Whether a cycle of {@code cyclic} ends at one of the iterations {@code [from, to)}. */
    static boolean cycleEndWithin(CyclicCosineSchedule cyclic, long from, long to) {
        for (long i = from; i < to; i++) {
            if (cyclic.isCycleEnd((int) i)) {
                return true;
            }
        }
        return false;
    }

    private static int examples(ReplicaPlan.Slice s, BatchSource batches) {
        if (s.batches() == 0) {
            return 0;
        }
        int full = s.batches() * batches.batchSize();
        int lastEnd = s.to() * batches.batchSize();
        return lastEnd > batches.examples() ? full - (lastEnd - batches.examples()) : full;
    }

    static Replication replication(ReplicaPlan plan) {
        return new Replication(plan.replicas(), plan.averagingEvery(), plan.roundsPerEpoch(),
                "ParameterAveragingTrainingMaster", RDDTrainingApproach.Direct.name().toLowerCase(Locale.ROOT), true);
    }

    private static final Map<List<Object>, BatchSource> SOURCES = new ConcurrentHashMap<>();

    /** The member's batch source in this JVM (the driver, or an executor), built once per member and job. */
    static BatchSource batchSource(MemberSpec spec, PreparedData prepared) {
        return new BatchSource(prepared.train(), prepared.normalization(), spec.train().batch(),
                spec.data().augmentation(), spec.data().bootstrap(), spec.seed());
    }

    /** On an executor: the batches of one replica's slice, built from the broadcast training data. */
    static final class SliceBatches implements FlatMapFunction<ReplicaPlan.Slice, DataSet> {
        private static final long serialVersionUID = 1L;
        private final MemberSpec spec;
        private final long jobSeed;
        private final Broadcast<TrainingData> data;

        SliceBatches(MemberSpec spec, long jobSeed, Broadcast<TrainingData> data) {
            this.spec = spec;
            this.jobSeed = jobSeed;
            this.data = data;
        }

        @Override
        public Iterator<DataSet> call(ReplicaPlan.Slice s) throws IOException {
            // dl4j-spark's worker builds the replica's network right after it has read its first batch, here: the
            // oneDNN helpers must be on by then, or the executor trains on DL4J's reference Java path.
            Engine.ensureHelpers();
            List<Object> key = List.of(spec, jobSeed);
            BatchSource source = SOURCES.get(key);
            if (source == null) {
                source = batchSource(spec, data.value().prepared(spec.data(), jobSeed));
                SOURCES.put(key, source);
            }
            List<DataSet> out = new ArrayList<>(s.batches());
            Iterator<DataSet> it = source.epoch(s.epoch(), Math.min(s.from(), source.batchesPerEpoch()));
            for (int k = s.from(); k < s.to() && it.hasNext(); k++) {
                out.add(it.next());
            }
            return out.iterator();
        }
    }

    /**
     * Before each replica's update. At a round's first update: the GPU Spark gave the task, the member's thread
     * count, and the member's iteration and epoch, which the replica's network does not get from dl4j-spark (its
     * copy of the configuration counts from 0 in every round, so the learning-rate schedule and Adam's bias
     * correction would restart each round). Then at every update the member's injected faults (tests only), and
     * ND4J's generator seeded from (member seed, iteration, replica), so a replica's dropout masks depend on where
     * it is in the trajectory alone.
     */
    static final class ReplicaHook implements TrainingHook, Serializable {
        private static final long serialVersionUID = 1L;
        private final int member;
        private final long seed;
        private final int threads;
        private final MemberTask task;
        private final int attempt;
        private final long roundStart;
        private final int epoch;
        private transient MemberTrainer.IterationHook faults;

        ReplicaHook(int member, long seed, int threads, MemberTask task, int attempt, long roundStart, int epoch) {
            this.member = member;
            this.seed = seed;
            this.threads = threads;
            this.task = task;
            this.attempt = attempt;
            this.roundStart = roundStart;
            this.epoch = epoch;
        }

        private void before(Model model) {
            ComputationGraph net = (ComputationGraph) model;
            if (faults == null) { // a task deserializes its own copy of the hook: this is the round's first update
                io.chorus.worker.engine.Devices.bind(SparkRunner.TrainFunction.gpus(TaskContext.get()));
                NativeThreads.set(threads);
                faults = task.faults(member, attempt);
                net.getConfiguration().setIterationCount((int) roundStart);
                net.getConfiguration().setEpochCount(epoch);
            }
            long iteration = net.getIterationCount();
            faults.beforeUpdate(net, iteration);
            int replica = TaskContext.get() == null ? 0 : TaskContext.getPartitionId();
            Nd4j.getRandom().setSeed(Seeds.mix(MemberTrainer.SALT_DROPOUT, seed, iteration, replica));
        }

        @Override
        public void preUpdate(org.nd4j.linalg.dataset.api.DataSet minibatch, Model model) {
            before(model);
        }

        @Override
        public void postUpdate(org.nd4j.linalg.dataset.api.DataSet minibatch, Model model) {
        }

        @Override
        public void preUpdate(MultiDataSet minibatch, Model model) {
            before(model);
        }

        @Override
        public void postUpdate(MultiDataSet minibatch, Model model) {
        }
    }
}
