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
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.nd4j.linalg.learning.config.Sgd;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chorus.driver.config.ConfigException;
import io.chorus.driver.config.JobConfig;
import io.chorus.driver.config.Keys;
import io.chorus.driver.eval.EvaluateJob;
import io.chorus.driver.report.ReportJob;
import io.chorus.driver.run.InProcessRunner;
import io.chorus.driver.run.MemberRunner;
import io.chorus.driver.run.RunManifest;
import io.chorus.driver.run.RunLayout;
import io.chorus.driver.run.RunLock;
import io.chorus.driver.run.RunMember;
import io.chorus.driver.run.RunStatus;
import io.chorus.driver.run.MemberOutcome;
import io.chorus.driver.spark.SparkRunner;
import io.chorus.driver.spark.SparkSettings;
import io.chorus.driver.run.TrainingData;
import io.chorus.worker.data.DataFiles;
import io.chorus.worker.data.DataFormatException;
import io.chorus.worker.data.IdxReader;
import io.chorus.worker.data.ImageData;
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
 * {@code chorus train} and the Spark ML fit: everything around the members. In order: check the Spark
 * settings, the run directory against the request's policy (a resume: the run's files readable and its
 * configuration unchanged), the data (bad input stops here, before Spark starts and before anything is
 * written); start Spark and check that it can run each member's replicas at once; take the run directory's
 * lock; only then delete the run an overwrite replaces, write {@code job.yaml} and {@code run.json}, train
 * every member not already finished, most expensive first, and
 * keep run.json up to date as each one ends. The exit code and run.json's {@code status} always agree.
 */
public final class TrainJob {
    private static final Logger LOG = LoggerFactory.getLogger(TrainJob.class);
    public static final String IN_PROCESS = SparkSettings.IN_PROCESS;

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

    /** Runs the job {@code request} describes; see the class comment for the order of things. */
    public ExitCode run(JobConfig config, TrainRequest request) throws BadInputException, IOException {
        Instant started = Instant.now();
        checkGpus(config.get(Keys.TRAIN_GPUS), request.master());
        BackendCheck.require();
        int replicas = config.memberSpecs().stream().mapToInt(m -> m.train().replicas()).max().orElse(1);
        if (running == null) {
            SparkSettings.check(request.master(), request.sparkConf(), config.trainSpec().threads(), "--master");
            SparkSettings.checkReplicas(request.master(), request.sparkConf(), config.trainSpec().threads(), replicas);
        }
        RunLayout layout = RunLayout.of(request.runDir(), hadoop, "--run-dir");
        Path runDir = layout.root();
        FileSystem fs = layout.fs();
        RunLayout.State state = checkRunDir(layout, request.policy());

        Inputs in = readInputs(config, layout, request);
        List<Path> inputs = new ArrayList<>();
        if (request.data() == null) {
            inputs.add(HadoopFiles.qualify(HadoopFiles.path(DataFiles.resolveDir(config.dataSpec().dir())), hadoop));
        }
        if (request.policy() == TrainRequest.Policy.OVERWRITE) {
            for (String i : request.inputs()) {
                inputs.add(HadoopFiles.qualify(HadoopFiles.path(i), hadoop));
            }
        }
        layout.checkNotAnInput(inputs, "--run-dir");

        // Spark starts before the lock and the first write, so that what only the running application can tell
        // (whether its executors can hold a member's replicas at once) is refused with nothing written.
        try (MemberRunner runner = runner(config, request, runDir)) {
            if (runner instanceof SparkRunner spark) {
                spark.checkReplicas(replicas);
            }
            return locked(config, request, layout, state, in, inputs, started, runner);
        }
    }

    private ExitCode locked(JobConfig config, TrainRequest request, RunLayout layout, RunLayout.State state, Inputs in,
                            List<Path> inputs, Instant started, MemberRunner runner) throws BadInputException, IOException {
        Path runDir = layout.root();
        FileSystem fs = layout.fs();
        try (RunLock lock = RunLock.acquire(layout, "chorus train " + request.job() + " (" + request.policy().name()
                .toLowerCase(Locale.ROOT) + ")", out)) {
            // Another command may have written here between the first look and the lock.
            RunLayout.State now = layout.state();
            if (now != state && !(state == RunLayout.State.ABSENT && now == RunLayout.State.EMPTY)) {
                throw new BadInputException(runDir + " changed while this job started (" + layout.describe(state) + ", now "
                        + layout.describe(now) + "); run it again");
            }
            // Read under the lock: what another command wrote before it is what this one continues.
            Resumed resumed = state == RunLayout.State.RUN && request.policy() == TrainRequest.Policy.RESUME
                    ? readResumed(layout, config) : null;
            if (state == RunLayout.State.RUN && request.policy() == TrainRequest.Policy.OVERWRITE) {
                out.println("chorus: --overwrite: deleting the run in " + runDir);
                layout.deleteRun(inputs);
            } else if (state == RunLayout.State.RUN) {
                layout.removeStaleTemporaries(out);
            }
            if (request.data() != null) {
                fs.mkdirs(layout.data());
                for (Map.Entry<String, byte[]> f : request.data().entrySet()) {
                    HadoopFiles.writeAtomically(fs, new Path(layout.data(), f.getKey()), f.getValue());
                }
            }
            return train(config, request, layout, in, resumed, started, runner);
        }
    }

    /** The training data (parsed and split), and the fingerprints run.json records. */
    private record Inputs(TrainingData data, List<TrainingData.DataFile> testFiles, PreparedData prepared) {
    }

    /** Reads and checks the data: from data.dir, or from the request's own files. */
    private Inputs readInputs(JobConfig config, RunLayout layout, TrainRequest request) throws BadInputException, IOException {
        try {
            TrainingData data;
            List<TrainingData.DataFile> testFiles;
            if (request.data() != null) {
                data = TrainingData.of(layout.data(), request.data());
                testFiles = TrainingData.fingerprint(layout.data(), request.data(), List.of(DataFiles.TEST_IMAGES, DataFiles.TEST_LABELS));
            } else {
                data = TrainingData.read(config.dataSpec().dir(), hadoop);
                testFiles = TrainingData.fingerprint(DataFiles.testFiles(config.dataSpec().dir(), hadoop), hadoop);
            }
            // Through the per-JVM cache: in local mode the executors are this JVM and reuse it.
            PreparedData prepared = data.prepared(config.dataSpec(), config.seed());
            if (request.data() == null) {
                data.checkTest(testFiles, prepared.shape(), config.dataSpec().classes(), hadoop);
            } else {
                ImageData test = IdxReader.read(new java.io.ByteArrayInputStream(request.data().get(DataFiles.TEST_IMAGES)),
                        testFiles.get(0).path(), new java.io.ByteArrayInputStream(request.data().get(DataFiles.TEST_LABELS)),
                        testFiles.get(1).path(), config.dataSpec().classes());
                data.requireTrainingShape(testFiles.get(0).path(), test.shape(), prepared.shape());
            }
            return new Inputs(data, testFiles, prepared);
        } catch (DataFormatException | FileNotFoundException | IllegalArgumentException e) {
            throw new BadInputException("data: " + e.getMessage(), e);
        }
    }

    /** What the run directory holds, checked against the policy; bad input if the policy cannot apply. */
    private RunLayout.State checkRunDir(RunLayout layout, TrainRequest.Policy policy) throws BadInputException, IOException {
        RunLayout.State state = layout.state();
        Path runDir = layout.root();
        switch (state) {
            case ABSENT -> layout.checkCreatable("--run-dir");
            case FILE, FOREIGN -> throw new BadInputException("--run-dir " + runDir + " is not a Chorus run directory: "
                    + layout.describe(state) + "; choose another --run-dir");
            case RUN -> {
                if (policy == TrainRequest.Policy.NEW) {
                    throw new BadInputException("run directory " + runDir + " already holds a run; pass --resume to "
                            + "continue it, --overwrite to replace it, or --run-dir to choose another");
                }
            }
            case EMPTY -> { }
        }
        if (policy == TrainRequest.Policy.RESUME && state != RunLayout.State.RUN) {
            out.println("chorus: --resume: " + runDir + " holds no run yet; starting one");
        }
        return state;
    }

    /** The run being resumed: its manifest and its members' manifests, all readable, its configuration unchanged. */
    private record Resumed(RunManifest run, Map<Integer, MemberManifest> members) {
    }

    private Resumed readResumed(RunLayout layout, JobConfig config) throws BadInputException, IOException {
        FileSystem fs = layout.fs();
        JobConfig before;
        if (!fs.exists(layout.jobYaml())) {
            throw new BadInputException("--resume: " + layout.jobYaml() + " is missing; the run's configuration is unknown "
                    + "(restore the file, or start over with --overwrite)");
        }
        try {
            before = JobConfig.parse(new String(HadoopFiles.readAll(fs, layout.jobYaml()), StandardCharsets.UTF_8),
                    layout.jobYaml().toString(), List.of());
        } catch (ConfigException e) {
            throw new BadInputException("--resume: " + layout.jobYaml() + " is not a valid job configuration ("
                    + String.join("; ", e.problems()) + "); restore it, or start over with --overwrite");
        }
        List<String> conflicts = before.resumeConflicts(config);
        if (!conflicts.isEmpty()) {
            throw new BadInputException("--resume: the configuration differs from the run's " + layout.jobYaml()
                    + " in what trains the members:\n  " + String.join("\n  ", conflicts) + "\nonly keys under "
                    + String.join(", ", Keys.MAY_CHANGE_ON_RESUME) + " may change on a resume; use a new --run-dir or "
                    + "--overwrite to train with the new values");
        }
        if (!fs.exists(layout.runJson())) {
            throw new BadInputException("--resume: " + layout.runJson() + " is missing; restore it, or start over with "
                    + "--overwrite");
        }
        RunManifest run;
        try {
            run = Json.read(HadoopFiles.readAll(fs, layout.runJson()), RunManifest.class, layout.runJson().toString());
        } catch (IOException e) {
            throw new BadInputException("--resume: " + layout.runJson() + " is not a readable run manifest; restore it, "
                    + "or start over with --overwrite", e);
        }
        Map<Integer, MemberManifest> members = new HashMap<>();
        for (MemberSpec spec : config.memberSpecs()) {
            SnapshotStore store = new SnapshotStore(fs, layout.member(spec.id()));
            Optional<MemberManifest> m;
            try {
                m = store.readManifest();
            } catch (IOException e) {
                throw new BadInputException("--resume: " + store.manifestPath() + " is not a readable member manifest; "
                        + "restore it, or start over with --overwrite", e);
            }
            RunMember listed = run.members.stream().filter(r -> r.id() == spec.id()).findFirst().orElse(null);
            if (m.isEmpty() && listed != null && (listed.status().terminal() || !listed.snapshots().isEmpty())) {
                throw new BadInputException("--resume: " + store.manifestPath() + " is missing, but run.json lists member "
                        + spec.id() + " as " + listed.status().configName() + " with " + listed.snapshots().size()
                        + " snapshot(s); restore it, or start over with --overwrite");
            }
            m.ifPresent(mm -> members.put(spec.id(), mm));
        }
        return new Resumed(run, members);
    }

    private ExitCode train(JobConfig config, TrainRequest request, RunLayout layout, Inputs in, Resumed resumed,
                           Instant started, MemberRunner runner) throws IOException {
        Path runDir = layout.root();
        FileSystem fs = layout.fs();
        PreparedData prepared = in.prepared();
        List<MemberSpec> specs = config.memberSpecs();
        Map<Integer, MemberManifest> existing = resumed == null ? Map.of() : resumed.members();
        List<MemberSpec> toTrain = new ArrayList<>();
        for (MemberSpec spec : specs) {
            MemberManifest m = existing.get(spec.id());
            if (m != null && m.getStatus().terminal()) {
                out.printf(Locale.ROOT, "chorus: member %d is already %s; not retrained%n", spec.id(), m.getStatus().configName());
            } else {
                toTrain.add(spec);
            }
        }
        Map<ModelSpec, Long> params = new HashMap<>();
        toTrain = byCostDescending(toTrain, prepared, params);

        HadoopFiles.writeAtomically(fs, layout.jobYaml(), config.toYaml().getBytes(StandardCharsets.UTF_8));
        RunManifest run = new RunManifest();
        run.job = request.job();
        run.started = started.toString();
        run.seed = config.seed();
        run.configuration = config.toTree();
        run.data = RunManifest.dataSection(config.dataSpec().dir(), in.data().files(), in.testFiles());
        for (MemberSpec spec : specs) {
            String dir = RunLayout.memberRelative(spec.id());
            MemberManifest m = existing.get(spec.id());
            run.members.add(planned(config, spec.id(), m != null ? RunMember.of(m, dir)
                    : RunMember.pending(spec.id(), spec.seed(), dir)));
        }

        long parameters = params.computeIfAbsent(config.modelSpec(), m -> parameters(m, prepared));
        out.printf(Locale.ROOT, "chorus: %d member(s) of %s (%,d parameters each%s) on %s images: %d train, %d validation -> %s%n",
                config.members(), config.modelSpec().arch().configName(), parameters,
                specs.stream().anyMatch(s -> !s.model().equals(config.modelSpec())) ? " in the base configuration; "
                        + "some members have their own" : "", prepared.shape(),
                prepared.train().size(), prepared.validation().size(), runDir);
        config.reference().ifPresent(r -> out.printf(Locale.ROOT, "chorus: member %d is the reference model of "
                + "compare.single_budget: the base configuration for %d epochs, the members' together%n", r,
                specs.get(r).train().epochs()));
        run.versions = Versions.of(runner.sparkVersion());
        run.spark = runner.describe();
        writeRun(fs, runDir, run);
        runner.run(toTrain, in.data(), outcome -> {
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
        SnapshotStore store = new SnapshotStore(fs, RunLayout.memberDir(runDir, outcome.member()));
        Optional<MemberManifest> m = store.readManifest();
        RunMember member;
        if (m.isPresent()) {
            if (outcome.status() == MemberStatus.FAILED && !m.get().getStatus().terminal()) {
                m.get().finish(MemberStatus.FAILED, outcome.reason());
                store.writeManifest(m.get());
            }
            member = RunMember.of(m.get(), RunLayout.memberRelative(outcome.member()));
        } else {
            long seed = run.members.get(outcome.member()).seed();
            member = RunMember.failedBeforeStart(outcome.member(), seed, RunLayout.memberRelative(outcome.member()), outcome.reason());
        }
        RunMember before = run.members.get(outcome.member());
        member = member.planned(before.role(), before.configuration());
        run.members.set(outcome.member(), member);
        writeRun(fs, runDir, run);
        out.printf(Locale.ROOT, "chorus: member %d %s%s%n", member.id(), member.status().configName(),
                member.reason() == null ? "" : " (" + member.reason() + ")");
    }

    /** A run.json entry with the member's role and resolved configuration. */
    private static RunMember planned(JobConfig config, int id, RunMember m) {
        boolean reference = config.reference().isPresent() && config.reference().getAsInt() == id;
        return m.planned(reference ? RunMember.SINGLE_BUDGET : RunMember.MEMBER, config.memberTree(id));
    }

    private static void writeRun(FileSystem fs, Path runDir, RunManifest run) throws IOException {
        HadoopFiles.writeAtomically(fs, new Path(runDir, RunManifest.NAME), Json.write(run));
    }

    /** GPUs need a master that schedules them; checked before anything is read or written. */
    static void checkGpus(int gpus, String requested) throws BadInputException {
        if (gpus == 0) {
            return;
        }
        String master = SparkSettings.effectiveMaster(requested);
        if (IN_PROCESS.equals(master) || master.startsWith("local")) {
            throw new BadInputException("train.gpus_per_member: " + gpus + " needs a cluster master (standalone, "
                    + "YARN, Kubernetes) to assign GPUs to tasks; " + master + " cannot");
        }
    }

    private MemberRunner runner(JobConfig config, TrainRequest request, Path runDir) {
        if (IN_PROCESS.equals(request.master())) {
            return new InProcessRunner(runDir.toString(), config.seed(), hadoop, out);
        }
        if (running != null) {
            return new SparkRunner(running, config.trainSpec().threads(), config.get(Keys.TRAIN_GPUS), runDir.toString(),
                    config.seed(), hadoop, out);
        }
        return new SparkRunner("chorus " + request.job(), request.master(), request.sparkConf(), config.trainSpec().threads(),
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
