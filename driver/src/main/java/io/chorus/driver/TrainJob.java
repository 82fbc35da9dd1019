package io.chorus.driver;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.nd4j.linalg.learning.config.Sgd;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chorus.driver.config.JobConfig;
import io.chorus.driver.config.Keys;
import io.chorus.driver.eval.EvaluateJob;
import io.chorus.driver.report.ReportJob;
import io.chorus.driver.run.InProcessRunner;
import io.chorus.driver.run.MemberRunner;
import io.chorus.driver.run.RunManifest;
import io.chorus.driver.run.RunMember;
import io.chorus.driver.run.RunStatus;
import io.chorus.driver.spark.MemberOutcome;
import io.chorus.driver.spark.MemberTask;
import io.chorus.driver.spark.SparkRunner;
import io.chorus.driver.spark.TrainingData;
import io.chorus.worker.data.DataFiles;
import io.chorus.worker.data.DataFormatException;
import io.chorus.worker.fs.HadoopFiles;
import io.chorus.worker.fs.Json;
import io.chorus.worker.train.MemberManifest;
import io.chorus.worker.train.MemberSpec;
import io.chorus.worker.train.MemberStatus;
import io.chorus.worker.train.PreparedData;
import io.chorus.worker.train.SnapshotStore;
import io.chorus.worker.zoo.ModelSpec;
import io.chorus.worker.zoo.ModelZoo;

/**
 * {@code chorus train}: everything around the members. In order: check the data and the run directory
 * (bad input stops here, before Spark starts and before anything is written), write {@code job.yaml} and
 * {@code run.json}, train every member not already finished, most expensive first, and keep run.json up
 * to date as each one ends. The exit code and run.json's {@code status} always agree.
 */
public final class TrainJob {
    private static final Logger LOG = LoggerFactory.getLogger(TrainJob.class);
    public static final String IN_PROCESS = "in-process";

    private final Configuration hadoop;
    private final PrintStream out;
    private final org.apache.spark.api.java.JavaSparkContext running;

    public TrainJob(Configuration hadoop, PrintStream out) {
        this(hadoop, out, null);
    }

    /** A job that trains on {@code running}, an application already started (and left running), if not null. */
    public TrainJob(Configuration hadoop, PrintStream out, org.apache.spark.api.java.JavaSparkContext running) {
        this.hadoop = hadoop;
        this.out = out;
        this.running = running;
    }

    public ExitCode run(JobConfig config, TrainCommand cmd) throws BadInputException, IOException {
        Instant started = Instant.now();
        checkGpus(config.get(Keys.TRAIN_GPUS), cmd);
        Path runDir;
        FileSystem fs;
        try {
            runDir = HadoopFiles.qualify(HadoopFiles.path(cmd.runDirOrDefault()), hadoop);
            fs = HadoopFiles.fileSystem(runDir, hadoop);
        } catch (IOException | IllegalArgumentException e) {
            throw new BadInputException("--run-dir " + cmd.runDirOrDefault() + ": " + e.getMessage(), e);
        }

        TrainingData data;
        List<TrainingData.DataFile> testFiles;
        PreparedData prepared;
        try {
            data = TrainingData.read(config.dataSpec().dir(), hadoop);
            testFiles = TrainingData.fingerprint(DataFiles.testFiles(config.dataSpec().dir(), hadoop), hadoop);
            // Through the per-JVM cache: in local mode the executors are this JVM and reuse it.
            prepared = data.prepared(config.dataSpec(), config.seed());
            data.checkTest(testFiles, prepared.shape(), config.dataSpec().classes(), hadoop);
        } catch (DataFormatException | FileNotFoundException | IllegalArgumentException e) {
            throw new BadInputException("data: " + e.getMessage(), e);
        }
        prepareRunDir(fs, runDir, cmd);

        List<MemberSpec> specs = config.memberSpecs();
        Map<Integer, MemberManifest> existing = new HashMap<>();
        List<MemberSpec> toTrain = new ArrayList<>();
        for (MemberSpec spec : specs) {
            Optional<MemberManifest> m = new SnapshotStore(fs, MemberTask.memberDir(runDir, spec.id())).readManifest();
            m.ifPresent(mm -> existing.put(spec.id(), mm));
            if (m.isPresent() && m.get().getStatus().terminal()) {
                out.printf(Locale.ROOT, "chorus: member %d is already %s; not retrained%n", spec.id(), m.get().getStatus().configName());
            } else {
                toTrain.add(spec);
            }
        }
        Map<ModelSpec, Long> params = new HashMap<>();
        toTrain = byCostDescending(toTrain, prepared, params);

        HadoopFiles.writeAtomically(fs, new Path(runDir, "job.yaml"), config.toYaml().getBytes(StandardCharsets.UTF_8));
        RunManifest run = new RunManifest();
        run.job = jobName(cmd);
        run.started = started.toString();
        run.seed = config.seed();
        run.configuration = config.toTree();
        run.data = RunManifest.dataSection(config.dataSpec().dir(), data.files(), testFiles);
        for (MemberSpec spec : specs) {
            String dir = relative(spec.id());
            MemberManifest m = existing.get(spec.id());
            run.members.add(m != null ? RunMember.of(m, dir) : RunMember.pending(spec.id(), spec.seed(), dir));
        }

        long parameters = params.computeIfAbsent(config.modelSpec(), m -> parameters(m, prepared));
        out.printf(Locale.ROOT, "chorus: %d member(s) of %s (%,d parameters each) on %s images: %d train, %d validation -> %s%n",
                config.members(), config.modelSpec().arch().configName(), parameters, prepared.shape(),
                prepared.train().size(), prepared.validation().size(), runDir);
        try (MemberRunner runner = runner(config, cmd, runDir)) {
            run.versions = Versions.of(runner.sparkVersion());
            run.spark = runner.describe();
            writeRun(fs, runDir, run);
            runner.run(toTrain, data, outcome -> {
                try {
                    record(fs, runDir, run, outcome);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            run.spark = runner.describe();
            int finished = (int) run.members.stream().filter(m -> m.status() == MemberStatus.FINISHED).count();
            run.status = finished == specs.size() ? RunStatus.SUCCEEDED
                    : finished >= config.get(Keys.MIN_MEMBERS) ? RunStatus.PARTIAL : RunStatus.FAILED;
            run.wallSeconds = Duration.between(started, Instant.now()).toMillis() / 1000.0;
            summarize(run);
            if (run.status != RunStatus.FAILED && config.get(Keys.EVALUATE_ENABLED)) {
                evaluate(config, runDir, runner, run);
            } else {
                run.evaluation = Map.of("status", "skipped", "reason", run.status == RunStatus.FAILED ? "fewer than min_members members finished"
                        : "evaluate.enabled is false");
            }
        }
        run.ended = Instant.now().toString();
        writeRun(fs, runDir, run);
        if (config.get(Keys.REPORT_ENABLED)) {
            report(fs, runDir, run);
        }
        out.printf(Locale.ROOT, "chorus: %s in %.1f s; run.json status %s%n", run.job,
                Duration.between(started, Instant.now()).toMillis() / 1000.0, run.status.configName());
        return run.status.exitCode();
    }

    /**
     * Evaluates the run on the same Spark application. A failed evaluation leaves every trained member and
     * snapshot in place, is recorded in run.json, and fails the job (exit code 1), since a scheduler
     * waiting for the report must not take the run for complete.
     */
    private void evaluate(JobConfig config, Path runDir, MemberRunner runner, RunManifest run) {
        long t0 = System.nanoTime();
        try {
            Map<String, Object> metrics = new EvaluateJob(hadoop, out).run(config, runDir, runner.tasks(), null);
            EvaluationSummary.print(metrics, out);
            run.evaluation = Map.of("status", "succeeded", "seconds", (System.nanoTime() - t0) / 1e9,
                    "metrics", EvaluateJob.EVAL + "/" + io.chorus.driver.eval.EnsembleReport.NAME);
        } catch (Exception e) {
            LOG.error("evaluation failed", e);
            out.println("chorus: evaluation failed: " + e.getMessage() + " (the trained members are intact; rerun "
                    + "chorus evaluate " + runDir + ")");
            run.evaluation = Map.of("status", "failed", "reason", String.valueOf(e.getMessage()));
            run.status = RunStatus.FAILED;
        }
    }

    /**
     * Writes the offline report once run.json is final. Like a failed evaluation, a failed report leaves every
     * trained member, snapshot and evaluation in place, is recorded in run.json and fails the job (exit code 1).
     */
    private void report(FileSystem fs, Path runDir, RunManifest run) throws IOException {
        try {
            Path page = ReportJob.write(fs, runDir);
            out.println("chorus: report written to " + page);
            run.report = Map.of("status", "succeeded", "page", ReportJob.REPORT + "/" + ReportJob.PAGE);
        } catch (Exception e) {
            LOG.error("report failed", e);
            out.println("chorus: report failed: " + e + " (rerun chorus report " + runDir + ")");
            run.report = Map.of("status", "failed", "reason", String.valueOf(e.getMessage()));
            run.status = RunStatus.FAILED;
        }
        writeRun(fs, runDir, run);
    }

    /** Folds one member's outcome into run.json, from the member's own manifest. */
    private synchronized void record(FileSystem fs, Path runDir, RunManifest run, MemberOutcome outcome) throws IOException {
        SnapshotStore store = new SnapshotStore(fs, MemberTask.memberDir(runDir, outcome.member()));
        Optional<MemberManifest> m = store.readManifest();
        RunMember member;
        if (m.isPresent()) {
            if (outcome.status() == MemberStatus.FAILED && !m.get().getStatus().terminal()) {
                m.get().finish(MemberStatus.FAILED, outcome.reason());
                store.writeManifest(m.get());
            }
            member = RunMember.of(m.get(), relative(outcome.member()));
        } else {
            long seed = run.members.get(outcome.member()).seed();
            member = RunMember.failedBeforeStart(outcome.member(), seed, relative(outcome.member()), outcome.reason());
        }
        run.members.set(outcome.member(), member);
        writeRun(fs, runDir, run);
        out.printf(Locale.ROOT, "chorus: member %d %s%s%n", member.id(), member.status().configName(),
                member.reason() == null ? "" : " (" + member.reason() + ")");
    }

    private static void writeRun(FileSystem fs, Path runDir, RunManifest run) throws IOException {
        HadoopFiles.writeAtomically(fs, new Path(runDir, RunManifest.NAME), Json.write(run));
    }

    /** GPUs need a master that schedules them; checked before anything is read or written. */
    static void checkGpus(int gpus, TrainCommand cmd) throws BadInputException {
        if (gpus == 0) {
            return;
        }
        String master = cmd.master() != null ? cmd.master() : System.getProperty("spark.master", "local[*]");
        if (IN_PROCESS.equals(master) || master.startsWith("local")) {
            throw new BadInputException("train.gpus_per_member: " + gpus + " needs a cluster master (standalone, "
                    + "YARN, Kubernetes) to assign GPUs to tasks; " + master + " cannot");
        }
    }

    private MemberRunner runner(JobConfig config, TrainCommand cmd, Path runDir) {
        if (IN_PROCESS.equals(cmd.master())) {
            return new InProcessRunner(runDir.toString(), config.seed(), hadoop, out);
        }
        if (running != null) {
            return new SparkRunner(running, config.trainSpec().threads(), config.get(Keys.TRAIN_GPUS), runDir.toString(),
                    config.seed(), hadoop, out);
        }
        return new SparkRunner("chorus " + jobName(cmd), cmd.master(), cmd.sparkConf(), config.trainSpec().threads(),
                config.get(Keys.TRAIN_GPUS), runDir.toString(), config.seed(), hadoop, out);
    }

    /**
     * Largest estimated cost first (parameters x epochs x examples), so that with fewer slots than members
     * the long ones do not start last. Ties keep member order. {@code params} caches parameter counts per
     * model (counting one builds the network).
     */
    static List<MemberSpec> byCostDescending(List<MemberSpec> specs, PreparedData data, Map<ModelSpec, Long> params) {
        List<MemberSpec> sorted = new ArrayList<>(specs);
        sorted.sort(Comparator.comparingDouble((MemberSpec s) -> -(double) params.computeIfAbsent(s.model(),
                m -> parameters(m, data)) * s.train().epochs() * data.train().size()).thenComparingInt(MemberSpec::id));
        return sorted;
    }

    static long parameters(ModelSpec model, PreparedData data) {
        return ModelZoo.build(model, data.shape(), data.classes(), 0, new Sgd(0.1), 0).numParams();
    }

    private void prepareRunDir(FileSystem fs, Path runDir, TrainCommand cmd) throws IOException, BadInputException {
        if (fs.exists(runDir)) {
            FileStatus[] entries = fs.listStatus(runDir);
            if (entries.length > 0) {
                if (cmd.overwrite()) {
                    out.println("chorus: --overwrite: deleting " + runDir);
                    fs.delete(runDir, true);
                } else if (!cmd.resume()) {
                    throw new BadInputException("run directory " + runDir + " already holds a run; pass --resume to "
                            + "continue it, --overwrite to replace it, or --run-dir to choose another");
                }
            }
        } else if (cmd.resume()) {
            LOG.info("--resume: {} does not exist yet; starting a new run", runDir);
        }
        fs.mkdirs(runDir);
    }

    private static String relative(int member) {
        return String.format(Locale.ROOT, "members/member-%03d", member);
    }

    private static String jobName(TrainCommand cmd) {
        return new java.io.File(cmd.jobFile()).getName().replaceFirst("\\.ya?ml$", "");
    }

    private void summarize(RunManifest run) {
        out.println("chorus: member  status    val_acc  val_nll  params     train_s  executor");
        for (RunMember m : run.members) {
            String valAcc = "-";
            String valNll = "-";
            if (!m.epochs().isEmpty()) {
                var last = m.epochs().get(m.epochs().size() - 1);
                valAcc = String.format(Locale.ROOT, "%.4f", last.valAccuracy());
                valNll = String.format(Locale.ROOT, "%.4f", last.valLoss());
            }
            out.printf(Locale.ROOT, "chorus: %6d  %-8s  %7s  %7s  %-9d  %7.1f  %s%s%n", m.id(), m.status().configName(), valAcc,
                    valNll, m.parameters(), m.trainSeconds(), m.executor() == null ? "-" : m.executor() + "@" + m.host(),
                    m.reason() == null ? "" : "  (" + m.reason() + ")");
        }
    }
}
