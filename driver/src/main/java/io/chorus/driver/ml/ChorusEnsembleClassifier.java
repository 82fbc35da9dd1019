package io.chorus.driver.ml;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.ml.classification.ProbabilisticClassifier;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chorus.driver.BadInputException;
import io.chorus.driver.ExitCode;
import io.chorus.driver.TrainRequest;
import io.chorus.driver.run.RunLayout;
import io.chorus.driver.TrainJob;
import io.chorus.driver.config.ConfigException;
import io.chorus.driver.config.JobConfig;
import io.chorus.driver.config.Keys;
import io.chorus.driver.predict.Pixels;
import io.chorus.driver.spark.SparkRunner;
import io.chorus.worker.Seeds;
import io.chorus.worker.data.DataFiles;
import io.chorus.worker.data.IdxWriter;
import io.chorus.worker.data.ImageShape;
import io.chorus.worker.fs.HadoopFiles;

/**
 * Trains a Chorus ensemble as a Spark ML {@link ProbabilisticClassifier}: {@code fit(dataset)} runs what
 * {@code chorus train} runs (members as Spark tasks on the dataset's own SparkSession, snapshots, the
 * evaluation and the offline report) and returns a {@link ChorusEnsembleModel}, with this estimator's uid.
 *
 * <p>Every fit writes a run of its own: {@link #runDir()} names a parent directory, and each fit creates
 * {@code fit-<UTC time>-<uid's suffix>-<hash of the parameters>} under it (never one that exists), so the
 * fits of CrossValidator or TrainValidationSplit, parallel or not, never meet. Each is an ordinary Chorus run
 * directory: {@code chorus evaluate}, {@code report}, {@code predict} and {@code snapshots} work on it, and
 * {@link ChorusEnsembleModel#load} reads it back. The fitted model holds its networks in memory, so it keeps
 * working when its run is removed. Nothing is written before every parameter and the data have passed their
 * checks.
 *
 * <p>The dataset's rows become the run's data/ directory as IDX files: a {@link #testFraction()} of them
 * (0.05 by default), drawn by the seed, is held out as the test split the evaluation and the report measure
 * on; the members hold out {@link #validationFraction()} of the rest (0.05 by default; {@code data.validation}
 * in jobConfig, a count, wins) for their validation metrics, weights and selection. Under a tuner, these are
 * taken from each fold's training rows. The dataset is collected on the driver (members receive the training
 * data as one broadcast, as {@code chorus train} sends it), so it must fit there: 60,000 28x28 images are 47 MB.
 *
 * <pre>{@code
 * ChorusEnsembleClassifier chorus = new ChorusEnsembleClassifier()
 *     .setRunDir("hdfs:///runs/fashion").setMembers(5).setEpochs(10)
 *     .setJobConfig("swa:\n  every: 1\nheads:\n  count: 4\n");
 * PipelineModel model = new Pipeline().setStages(new PipelineStage[] {indexer, chorus}).fit(train);
 * }</pre>
 */
public final class ChorusEnsembleClassifier
        extends ProbabilisticClassifier<Vector, ChorusEnsembleClassifier, ChorusEnsembleModel>
        implements ChorusEnsembleParams<ChorusEnsembleClassifier>, DefaultParamsWritable {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ChorusEnsembleClassifier.class);
    /** Purpose of the seed that draws the test split. */
    private static final long TEST_SPLIT = 0x54455354L;
    private static final DateTimeFormatter RUN_TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS", Locale.ROOT)
            .withZone(ZoneOffset.UTC);
    /** Run directories this JVM's fits have chosen, so that parallel fits never choose the same one. */
    private static final Set<String> CHOSEN = ConcurrentHashMap.newKeySet();

    private final String uid;

    public ChorusEnsembleClassifier() {
        this(Identifiable.randomUID("ChorusEnsembleClassifier"));
    }

    public ChorusEnsembleClassifier(String uid) {
        this(PendingUid.of(uid));
    }

    private ChorusEnsembleClassifier(PendingUid uid) {
        this.uid = uid.take();
        ChorusEnsembleParams.setDefaults(this);
    }

    @Override
    public String uid() {
        return uid != null ? uid : PendingUid.current();
    }

    /** Fits as {@link #train} says; the model gets this estimator's parameters, then the run's configuration. */
    @Override
    public ChorusEnsembleModel fit(Dataset<?> dataset) {
        transformSchema(dataset.schema(), true);
        return train(dataset);
    }

    @Override
    public ChorusEnsembleModel train(Dataset<?> dataset) {
        if (!isDefined(runDir())) {
            throw new IllegalArgumentException("runDir: not set; fit needs a parent directory (any Hadoop URI) to write "
                    + "its run into");
        }
        if (isSet(overwrite())) {
            LOG.warn("overwrite: no longer used; every fit writes a new run under runDir {}", getRunDir());
        }
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(dataset.sparkSession().sparkContext());
        Configuration hadoop = jsc.hadoopConfiguration();
        ImageShape shape = shape();
        RunLayout parent = layout(getRunDir(), hadoop);
        checkParent(parent);
        // Every setting is checked before the dataset is read (a placeholder for data.dir, classes and
        // validation); TrainJob checks the run directory and writes nothing before everything has passed.
        Path placeholder = new Path(parent.root(), "fit");
        JobConfig config = config(new Path(placeholder, RunLayout.DATA), 2, 1);
        SparkRunner.checkRunning(jsc, config.trainSpec().threads(), config.get(Keys.TRAIN_GPUS));
        if (!isSet(featureRange())) {
            Features.rangeWarning(dataset, getFeaturesCol(), false).ifPresent(LOG::warn);
        }

        Examples examples = collect(Features.toPixelRange(dataset, getFeaturesCol(), getFeatureRange()), shape);
        int classes = Arrays.stream(examples.labels).max().orElse(0) + 1;
        Split split = split(examples, shape);
        RunLayout layout = chooseRun(parent);
        try {
            config = config(layout.data(), Math.max(2, classes), split.validation());
            ExitCode code;
            try (PrintStream log = logStream()) {
                TrainRequest request = new TrainRequest("chorus-ensemble-classifier", layout.root().toString(),
                        TrainRequest.Policy.NEW, jsc.master(), Map.of(), List.of(), split.files());
                code = new TrainJob(hadoop, log, jsc).run(config, request);
            } catch (BadInputException e) {
                throw new IllegalArgumentException(e.getMessage().replace("--run-dir", "runDir")
                        .replace("--overwrite", "overwrite").replace("--resume", "a new runDir"), e);
            } catch (IOException e) {
                throw new UncheckedIOException("fit: " + e.getMessage(), e);
            }
            Path runDir = layout.root();
            if (code == ExitCode.PARTIAL) {
                LOG.warn("fit: some members of {} diverged or failed; the model combines those that finished (run.json "
                        + "says which and why)", runDir);
            } else if (code != ExitCode.SUCCESS) {
                throw new IllegalStateException("fit: the run in " + runDir + " failed (" + code + "); its run.json says why");
            }
            ChorusEnsembleModel model = ChorusEnsembleModel.fromRun(runDir.toString(), hadoop, uid(), true);
            String yaml = model.getJobConfig();
            copyValues(model, ParamMap.empty());
            model.trainedWith(config, yaml);
            model.set(model.runDir(), runDir.toString());
            LOG.info("fit: {} -> {}", runDir, model);
            return model.setParent(this);
        } finally {
            CHOSEN.remove(layout.root().toString());
        }
    }

    private static RunLayout layout(String dir, Configuration hadoop) {
        try {
            return RunLayout.of(dir, hadoop, "runDir");
        } catch (BadInputException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /** runDir must be a directory to create runs in: absent, or a directory that is not itself a run. */
    private static void checkParent(RunLayout parent) {
        try {
            RunLayout.State state = parent.state();
            if (state == RunLayout.State.FILE) {
                throw new IllegalArgumentException("runDir " + parent.root() + " is a regular file; expected a directory "
                        + "under which each fit writes its own run");
            }
            if (state == RunLayout.State.RUN) {
                throw new IllegalArgumentException("runDir " + parent.root() + " is itself a Chorus run; runDir names the "
                        + "parent directory under which each fit writes a run of its own: choose another");
            }
            if (state == RunLayout.State.ABSENT) {
                parent.checkCreatable("runDir");
            }
        } catch (BadInputException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("runDir " + parent.root() + ": " + e.getMessage(), e);
        }
    }

    /**
     * A new run directory under {@code parent}: {@code fit-<UTC time>-<uid's suffix>-<hash of the explicit
     * parameters>}, with {@code -2}, {@code -3}... if that name exists or another fit of this JVM has it.
     */
    private RunLayout chooseRun(RunLayout parent) {
        String suffix = uid().substring(uid().lastIndexOf('_') + 1);
        String base = "fit-" + RUN_TIME.format(Instant.now()) + "-" + suffix + "-" + paramHash();
        try {
            for (int n = 1; ; n++) {
                Path dir = new Path(parent.root(), n == 1 ? base : base + "-" + n);
                if (CHOSEN.add(dir.toString())) {
                    if (!parent.fs().exists(dir)) {
                        return new RunLayout(parent.fs(), dir);
                    }
                    CHOSEN.remove(dir.toString());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("runDir " + parent.root() + ": " + e.getMessage(), e);
        }
    }

    /** Eight hex digits of the SHA-256 of the explicitly set parameters (name=value, sorted). */
    String paramHash() {
        List<String> set = new ArrayList<>();
        for (org.apache.spark.ml.param.Param<?> p : params()) {
            if (isSet(p)) {
                Object v = $(p);
                set.add(p.name() + "=" + (v instanceof double[] d ? Arrays.toString(d) : String.valueOf(v)));
            }
        }
        set.sort(null);
        return HadoopFiles.sha256(String.join("\n", set).getBytes(StandardCharsets.UTF_8)).substring(0, 8);
    }

    /**
     * The job configuration: jobConfig's YAML, then the parameters set explicitly, then the data fit writes;
     * {@code validation} (from validationFraction) only where jobConfig does not set data.validation.
     */
    JobConfig config(Path dataDir, int classes, int validation) {
        List<String> overrides = new ArrayList<>();
        if (isSet(members())) {
            overrides.add(Keys.MEMBERS.name() + "=" + getMembers());
        }
        if (isSet(epochs())) {
            overrides.add(Keys.TRAIN_EPOCHS.name() + "=" + getEpochs());
        }
        if (isSet(seed())) {
            overrides.add(Keys.SEED.name() + "=" + getSeed());
        }
        if (isSet(arch())) {
            overrides.add(Keys.MODEL_ARCH.name() + "=" + getArch());
        }
        overrides.add(Keys.DATA_DIR.name() + "=" + dataDir);
        overrides.add(Keys.DATA_CLASSES.name() + "=" + classes);
        try {
            if (isSet(validationFraction()) || !setsValidation(getJobConfig())) {
                overrides.add(Keys.DATA_VALIDATION.name() + "=" + validation);
            }
            JobConfig config = JobConfig.parse(getJobConfig(), "jobConfig", overrides);
            if (!config.get(Keys.EVALUATE_ENABLED)) {
                throw new IllegalArgumentException("jobConfig: evaluate.enabled is false, but a model is made from the "
                        + "run's evaluation; leave it on");
            }
            return config;
        } catch (ConfigException e) {
            throw new IllegalArgumentException("jobConfig: " + e.getMessage(), e);
        }
    }

    /** Whether the YAML sets data.validation (nested or dotted); unreadable YAML is left to JobConfig to name. */
    static boolean setsValidation(String yaml) {
        try {
            com.fasterxml.jackson.databind.JsonNode tree = new com.fasterxml.jackson.databind.ObjectMapper(
                    new com.fasterxml.jackson.dataformat.yaml.YAMLFactory()).readTree(yaml);
            return tree != null && (tree.path("data").has("validation") || tree.has(Keys.DATA_VALIDATION.name()));
        } catch (IOException e) {
            return false;
        }
    }

    /** The images (IDX layout) and labels of every row, in the dataset's order. */
    private Examples collect(Dataset<?> dataset, ImageShape shape) {
        String features = getFeaturesCol();
        String label = getLabelCol();
        List<scala.Tuple2<byte[], Integer>> rows = dataset.select(features, label).toJavaRDD()
                .map(new ToExample(shape, features, label)).collect();
        if (rows.size() < 2) {
            throw new IllegalArgumentException("fit: the dataset has " + rows.size() + " row(s); a run needs more");
        }
        int per = shape.pixels();
        byte[] pixels = new byte[Math.multiplyExact(rows.size(), per)];
        int[] labels = new int[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            System.arraycopy(rows.get(i)._1(), 0, pixels, i * per, per);
            labels[i] = rows.get(i)._2();
        }
        return new Examples(pixels, labels);
    }

    /** The run's data/ files, and the validation count validationFraction gives the training rows. */
    private record Split(Map<String, byte[]> files, int validation) {
    }

    /** The run's data/ in the IDX layout: the held-out test split and the training examples, each in dataset order. */
    private Split split(Examples all, ImageShape shape) {
        int n = all.labels.length;
        int test = (int) Math.max(1, Math.round(n * getTestFraction()));
        int validation = (int) Math.max(1, Math.round((n - test) * getValidationFraction()));
        if (n - test - validation < 1) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "testFraction, validationFraction: %s and %s "
                    + "of %d rows leave none to train on", getTestFraction(), getValidationFraction(), n));
        }
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Random r = new Random(Seeds.mix(TEST_SPLIT, getSeed()));
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        int[] testRows = Arrays.copyOf(order, test);
        int[] trainRows = Arrays.copyOfRange(order, test, n);
        Arrays.sort(testRows);
        Arrays.sort(trainRows);
        Examples testSet = all.select(testRows, shape);
        Examples trainSet = all.select(trainRows, shape);
        LOG.info("fit: {} rows -> {} training (validation {} of them unless jobConfig says) and {} test examples of {}",
                n, trainRows.length, validation, test, shape);
        return new Split(Map.of(DataFiles.TEST_IMAGES, IdxWriter.images(shape, testSet.pixels, test),
                DataFiles.TEST_LABELS, IdxWriter.labels(testSet.labels),
                DataFiles.TRAIN_IMAGES, IdxWriter.images(shape, trainSet.pixels, trainRows.length),
                DataFiles.TRAIN_LABELS, IdxWriter.labels(trainSet.labels)), validation);
    }

    /** Chorus's progress lines, sent to this class's log rather than to standard output. */
    private static PrintStream logStream() {
        OutputStream lines = new OutputStream() {
            private final ByteArrayOutputStream line = new ByteArrayOutputStream();

            @Override
            public void write(int b) {
                if (b == '\n') {
                    LOG.info(line.toString(StandardCharsets.UTF_8));
                    line.reset();
                } else {
                    line.write(b);
                }
            }
        };
        return new PrintStream(lines, true, StandardCharsets.UTF_8);
    }

    @Override
    public StructType transformSchema(StructType schema) {
        String label = getLabelCol();
        if (!Arrays.asList(schema.fieldNames()).contains(label)) {
            throw new IllegalArgumentException("labelCol: the dataset has no column " + label + "; its columns are "
                    + String.join(", ", schema.fieldNames()));
        }
        if (!(schema.apply(label).dataType() instanceof NumericType)) {
            throw new IllegalArgumentException("labelCol: column " + label + " is " + schema.apply(label).dataType()
                    .simpleString() + "; expected class indexes 0..classes-1 (index strings with StringIndexer)");
        }
        StructType scored = scoredSchema(schema);
        String raw = getRawPredictionCol();
        return raw.isEmpty() ? scored : scored.add(raw, SQLDataTypes.VectorType(), false);
    }

    @Override
    public ChorusEnsembleClassifier copy(ParamMap extra) {
        return defaultCopy(extra);
    }

    public static MLReader<ChorusEnsembleClassifier> read() {
        return new DefaultParamsReader<>();
    }

    public static ChorusEnsembleClassifier load(String path) {
        return read().load(path);
    }

    /** Rows' images in the IDX layout, and their labels. */
    private record Examples(byte[] pixels, int[] labels) {
        Examples select(int[] rows, ImageShape shape) {
            int per = shape.pixels();
            byte[] p = new byte[rows.length * per];
            int[] l = new int[rows.length];
            for (int i = 0; i < rows.length; i++) {
                System.arraycopy(pixels, rows[i] * per, p, i * per, per);
                l[i] = labels[rows[i]];
            }
            return new Examples(p, l);
        }
    }

    /** One row to (pixels, label), on the executors. */
    private static final class ToExample implements Function<Row, scala.Tuple2<byte[], Integer>> {
        private static final long serialVersionUID = 1L;
        private final ImageShape shape;
        private final String features;
        private final String label;

        ToExample(ImageShape shape, String features, String label) {
            this.shape = shape;
            this.features = features;
            this.label = label;
        }

        @Override
        public scala.Tuple2<byte[], Integer> call(Row row) {
            byte[] pixels = new byte[shape.pixels()];
            Pixels.write(row.get(0), shape, features, pixels, 0);
            Object v = row.get(1);
            if (!(v instanceof Number n)) {
                throw new IllegalArgumentException("labelCol: a row's " + label + " is " + v + "; expected a class index");
            }
            double d = n.doubleValue();
            if (d < 0 || d > 255 || d != Math.rint(d)) {
                throw new IllegalArgumentException("labelCol: a row's " + label + " is " + v + "; expected a class index "
                        + "0..255");
            }
            return new scala.Tuple2<>(pixels, (int) d);
        }
    }
}
