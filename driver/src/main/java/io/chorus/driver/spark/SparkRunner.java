package io.chorus.driver.spark;

import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.apache.spark.SparkExecutorInfo;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.broadcast.Broadcast;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chorus.driver.run.MemberOutcome;
import io.chorus.driver.run.MemberRunner;
import io.chorus.driver.run.MemberTask;
import io.chorus.driver.run.ProgressBoard;
import io.chorus.driver.run.TrainingData;
import io.chorus.worker.train.Attempt;
import io.chorus.worker.train.MemberSpec;
import io.chorus.worker.train.Progress;

/**
 * Trains each member as one Spark task, in its own Spark job so the UI shows it under a named job group
 * ({@code chorus-member-N}). Jobs are submitted most expensive first; with the FIFO scheduler that is the
 * order their tasks start, so a mixed ensemble finishes as early as it can. A member of more than one replica
 * ({@code train.replicas}) is coordinated from a driver thread instead, as a series of Spark jobs of its
 * own under the same job group ({@link ReplicaTrainer}).
 *
 * <p>The training data travels once per executor JVM as a broadcast of the raw IDX bytes; the task
 * closure holds only the run directory, the job seed and broadcast handles. One-task members exchange
 * nothing but serializable specs and outcomes; replicas exchange parameters and optimizer state as
 * dl4j-spark does (Java-serialized INDArrays). Spark's Java serializer suffices for both.
 */
public final class SparkRunner implements MemberRunner {
    private static final Logger LOG = LoggerFactory.getLogger(SparkRunner.class);
    private static final long BOARD_EVERY_MILLIS = 10_000;

    private final JavaSparkContext jsc;
    private final String runDir;
    private final long jobSeed;
    private final Configuration hadoop;
    private final PrintStream out;
    private final int slots;
    private final boolean owned;
    private final Set<String> executorIds = new java.util.TreeSet<>();
    private SparkTasks tasks;

    /**
     * @param master   the Spark master, or null to take spark.master from spark-submit (local[*] if unset)
     * @param conf     extra Spark settings ({@code --conf key=value})
     * @param threads  ND4J threads per member: becomes spark.task.cpus
     */
    /**
     * What every Chorus application starts from: {@code master} if given, else spark.master (set by
     * spark-submit), else {@code local[*]}; in local mode the driver stays on loopback whatever the host
     * name resolves to; no console progress bar.
     */
    public static SparkConf baseConf(String appName, String master) {
        SparkConf sc = new SparkConf().setAppName(appName);
        if (master != null) {
            sc.setMaster(master);
        } else if (!sc.contains("spark.master")) {
            sc.setMaster("local[*]");
        }
        if (sc.get("spark.master").startsWith("local")) {
            sc.setIfMissing("spark.driver.host", "127.0.0.1");
            sc.setIfMissing("spark.driver.bindAddress", "127.0.0.1");
        }
        sc.setIfMissing("spark.ui.showConsoleProgress", "false");
        return sc;
    }

    public SparkRunner(String appName, String master, Map<String, String> conf, int threads, String runDir, long jobSeed,
                       Configuration hadoop, PrintStream out) {
        this(appName, master, conf, threads, 0, runDir, jobSeed, hadoop, out);
    }

    /**
     * As above, each member's task asking for {@code gpus} GPUs: spark.task.resource.gpu.amount, and, unless
     * set, spark.executor.resource.gpu.amount for as many members as an executor runs at once. The cluster's
     * Workers (standalone), NodeManagers (YARN) or pods (Kubernetes) must offer GPUs with a discovery script;
     * local mode cannot schedule GPUs and is refused.
     */
    public SparkRunner(String appName, String master, Map<String, String> conf, int threads, int gpus, String runDir,
                       long jobSeed, Configuration hadoop, PrintStream out) {
        this(start(appName, master, conf, threads, gpus), true, threads, runDir, jobSeed, hadoop, out);
    }

    /**
     * Trains on a Spark application that is already running (the SparkSession of a Spark ML
     * {@code fit}), which this runner leaves running when closed. Its settings are the application's: a
     * member's threads must equal spark.task.cpus, and GPUs per member spark.task.resource.gpu.amount.
     */
    public SparkRunner(JavaSparkContext running, int threads, int gpus, String runDir, long jobSeed,
                       Configuration hadoop, PrintStream out) {
        this(checkRunning(running, threads, gpus), false, threads, runDir, jobSeed, hadoop, out);
    }

    private SparkRunner(JavaSparkContext jsc, boolean owned, int threads, String runDir, long jobSeed,
                        Configuration hadoop, PrintStream out) {
        this.jsc = jsc;
        this.owned = owned;
        this.runDir = runDir;
        this.jobSeed = jobSeed;
        this.hadoop = hadoop;
        this.out = out;
        this.slots = Math.max(1, jsc.sc().defaultParallelism() / threads);
    }

    private static JavaSparkContext start(String appName, String master, Map<String, String> conf, int threads, int gpus) {
        SparkConf sc = baseConf(appName, master);
        sc.set("spark.task.cpus", Integer.toString(threads));
        if (gpus > 0) {
            if (sc.get("spark.master").startsWith("local")) {
                throw new IllegalArgumentException("train.gpus_per_member: " + gpus + " needs a cluster master "
                        + "(standalone, YARN, Kubernetes); Spark's local mode cannot schedule GPUs");
            }
            sc.set("spark.task.resource.gpu.amount", Integer.toString(gpus));
            int cores = conf.containsKey("spark.executor.cores") ? Integer.parseInt(conf.get("spark.executor.cores"))
                    : sc.getInt("spark.executor.cores", threads);
            sc.setIfMissing("spark.executor.resource.gpu.amount", Integer.toString(gpus * Math.max(1, cores / threads)));
            // Spark's GPU addresses come from nvidia-smi (scripts/discover-gpus), which numbers GPUs by PCI bus;
            // CUDA numbers them fastest first unless told otherwise, and Devices.bind takes them as CUDA ordinals.
            sc.setIfMissing("spark.executorEnv.CUDA_DEVICE_ORDER", "PCI_BUS_ID");
        }
        sc.setIfMissing("spark.executorEnv.OMP_NUM_THREADS", Integer.toString(threads));
        conf.forEach(sc::set);
        return new JavaSparkContext(sc);
    }

    /** {@code running}, once it is known to run members of {@code threads} threads and {@code gpus} GPUs. */
    public static JavaSparkContext checkRunning(JavaSparkContext running, int threads, int gpus) {
        int taskCpus = running.getConf().getInt("spark.task.cpus", 1);
        if (taskCpus != threads) {
            throw new IllegalArgumentException("train.threads: " + threads + ", but the running Spark application has "
                    + "spark.task.cpus=" + taskCpus + "; set one to the other");
        }
        String taskGpus = running.getConf().get("spark.task.resource.gpu.amount", "0");
        if (gpus > 0 && Double.parseDouble(taskGpus) != gpus) {
            throw new IllegalArgumentException("train.gpus_per_member: " + gpus + ", but the running Spark application "
                    + "has spark.task.resource.gpu.amount=" + taskGpus + "; start it with that many GPUs per task");
        }
        return running;
    }

    @Override
    public void run(List<MemberSpec> members, TrainingData data, Consumer<MemberOutcome> onDone) throws IOException {
        Broadcast<TrainingData> dataB = jsc.broadcast(data);
        Broadcast<SerializableHadoopConf> confB = jsc.broadcast(new SerializableHadoopConf(hadoop));
        MemberTask task = new MemberTask(runDir, jobSeed, jsc.getConf().get(MemberTask.FAULTS, ""));
        TrainFunction fn = new TrainFunction(task, dataB, confB);

        Map<Integer, java.util.concurrent.Future<List<MemberOutcome>>> jobs = new LinkedHashMap<>();
        ReplicaTrainer replicas = new ReplicaTrainer(jsc, dataB, task, runDir, jobSeed, hadoop);
        java.util.concurrent.ExecutorService coordinators = null;
        for (MemberSpec spec : members) {
            if (spec.train().replicas() > 1) {
                // A data-parallel member is coordinated from the driver: its rounds are Spark jobs of its own.
                if (coordinators == null) {
                    coordinators = java.util.concurrent.Executors.newCachedThreadPool(r -> {
                        Thread th = new Thread(r, "chorus-replicas");
                        th.setDaemon(true);
                        return th;
                    });
                }
                jobs.put(spec.id(), coordinators.submit(() -> List.of(replicas.train(spec, data))));
                continue;
            }
            jsc.setJobGroup("chorus-member-" + spec.id(), String.format(Locale.ROOT, "Chorus member %d: %s, seed %d",
                    spec.id(), spec.model().arch().configName(), spec.seed()), false);
            jobs.put(spec.id(), jsc.parallelize(List.of(spec), 1).map(fn).collectAsync());
        }
        jsc.clearJobGroup();

        Path root = new Path(runDir);
        FileSystem fs = root.getFileSystem(hadoop);
        ProgressBoard board = new ProgressBoard(fs, root, out);
        Set<Integer> done = new HashSet<>();
        long lastBoard = System.currentTimeMillis();
        try {
            while (done.size() < jobs.size()) {
                for (Map.Entry<Integer, java.util.concurrent.Future<List<MemberOutcome>>> e : jobs.entrySet()) {
                    if (done.contains(e.getKey()) || !e.getValue().isDone()) {
                        continue;
                    }
                    done.add(e.getKey());
                    MemberOutcome outcome;
                    try {
                        outcome = e.getValue().get().get(0);
                        if (outcome.executor() != null) {
                            synchronized (executorIds) {
                                executorIds.add(outcome.executor() + "@" + outcome.host());
                            }
                        }
                    } catch (ExecutionException | InterruptedException ex) {
                        LOG.error("member {} failed on Spark", e.getKey(), ex);
                        outcome = MemberOutcome.failed(e.getKey(), ex);
                    }
                    onDone.accept(outcome);
                }
                if (System.currentTimeMillis() - lastBoard > BOARD_EVERY_MILLIS) {
                    lastBoard = System.currentTimeMillis();
                    Set<Integer> running = new HashSet<>(jobs.keySet());
                    running.removeAll(done);
                    int active = Math.min(running.size(), slots);
                    board.print(running, running.size() - active, slots);
                }
                sleep(200);
            }
        } finally {
            if (coordinators != null) {
                coordinators.shutdownNow();
            }
        }
    }

    /** How long {@link #checkReplicas} waits for a cluster's executors to register. */
    static final long REPLICA_WAIT_MILLIS = 60_000;

    /**
     * Checks that the application can run {@code replicas} tasks of a member at once (all replicas of a round
     * train side by side): at once in local mode, on a cluster once enough executors have registered, waiting
     * up to a minute for them. The count is Spark's own (the task slots of the registered executors for this
     * application's spark.task.cpus).
     *
     * @throws io.chorus.driver.BadInputException naming train.replicas if the slots stay fewer
     */
    public void checkReplicas(int replicas) throws io.chorus.driver.BadInputException {
        if (replicas <= 1) {
            return;
        }
        long deadline = System.currentTimeMillis() + (jsc.master().startsWith("local") ? 0 : REPLICA_WAIT_MILLIS);
        int have;
        while (true) {
            have = jsc.sc().maxNumConcurrentTasks(jsc.sc().resourceProfileManager().defaultResourceProfile());
            if (have >= replicas || System.currentTimeMillis() >= deadline) {
                break;
            }
            sleep(500);
        }
        if (have < replicas) {
            throw new io.chorus.driver.BadInputException("train.replicas: " + replicas + " replicas of a member train at "
                    + "once, but the Spark application (" + jsc.master() + ") has " + have + " task slot(s) of "
                    + jsc.getConf().get("spark.task.cpus", "1") + " core(s)" + (jsc.master().startsWith("local") ? ""
                    : " after " + REPLICA_WAIT_MILLIS / 1000 + " s") + "; lower train.replicas or give it more executors");
        }
    }

    @Override
    public Map<String, Object> describe() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("master", jsc.master());
        d.put("app_id", jsc.sc().applicationId());
        d.put("task_cpus", jsc.getConf().get("spark.task.cpus", "1"));
        List<String> live = new ArrayList<>();
        for (SparkExecutorInfo e : jsc.sc().statusTracker().getExecutorInfos()) {
            live.add(e.host() + ":" + e.port());
        }
        d.put("executor_endpoints", live);
        synchronized (executorIds) {
            d.put("executors_used", new ArrayList<>(executorIds));
        }
        return d;
    }

    @Override
    public io.chorus.driver.run.Tasks tasks() {
        if (tasks == null) {
            tasks = new SparkTasks(jsc, hadoop, slots);
        }
        return tasks;
    }

    @Override
    public String sparkVersion() {
        return jsc.version();
    }

    @Override
    public void close() {
        if (owned) {
            jsc.stop();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while members train", e);
        }
    }

    /** The task body: a named, serializable class, so the closure carries exactly these three fields. */
    static final class TrainFunction implements Function<MemberSpec, MemberOutcome> {
        private static final long serialVersionUID = 1L;
        private final MemberTask task;
        private final Broadcast<TrainingData> data;
        private final Broadcast<SerializableHadoopConf> conf;

        TrainFunction(MemberTask task, Broadcast<TrainingData> data, Broadcast<SerializableHadoopConf> conf) {
            this.task = task;
            this.data = data;
            this.conf = conf;
        }

        /** The GPU addresses Spark assigned to this task, in Spark's order. */
        static List<String> gpus(TaskContext tc) {
            if (tc == null) {
                return List.of();
            }
            org.apache.spark.resource.ResourceInformation gpu = tc.resourcesJMap().get("gpu");
            return gpu == null ? List.of() : List.of(gpu.addresses());
        }

        @Override
        public MemberOutcome call(MemberSpec spec) throws IOException {
            TaskContext tc = TaskContext.get();
            Attempt.Placement here = Attempt.here(SparkEnv.get().executorId()).withGpus(gpus(tc));
            return task.train(spec, data.value(), conf.value().get(), here, tc == null ? 0 : tc.attemptNumber(),
                    Progress.Listener.NONE);
        }
    }
}
