package io.chorus.driver.ml;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.ml.Estimator;
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
 * Trains a Chorus ensemble as a Spark ML {@link Estimator}: {@code fit(dataset)} runs what {@code chorus
 * train} runs (members as Spark tasks on the dataset's own SparkSession, snapshots, the evaluation and the
 * offline report) and returns a {@link ChorusEnsembleModel}.
 *
 * <p>The run is an ordinary Chorus run directory in {@link #runDir()}: {@code chorus evaluate}, {@code report},
 * {@code predict} and {@code snapshots} work on it, and {@link ChorusEnsembleModel#load} reads it back. The
 * dataset's rows become its data/ directory as IDX files: a {@link #testFraction()} of them, drawn by the
 * seed, is held out as the test split the evaluation and the report measure on; the members hold out
 * {@code data.validation} of the rest for validation, as in any run. The dataset is collected on the driver
 * (members receive the training data as one broadcast, as {@code chorus train} sends it), so it must fit
 * there: 60,000 28x28 images are 47 MB.
 *
 * <pre>{@code
 * ChorusEnsembleClassifier chorus = new ChorusEnsembleClassifier()
 *     .setRunDir("hdfs:///runs/fashion").setMembers(5).setEpochs(10)
 *     .setJobConfig("data:\n  validation: 5000\nswa:\n  every: 1\nheads:\n  count: 4\n");
 * PipelineModel model = new Pipeline().setStages(new PipelineStage[] {indexer, chorus}).fit(train);
 * }</pre>
 */
public final class ChorusEnsembleClassifier extends Estimator<ChorusEnsembleModel>
        implements ChorusEnsembleParams<ChorusEnsembleClassifier>, DefaultParamsWritable {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ChorusEnsembleClassifier.class);
    /** Purpose of the seed that draws the test split. */
    private static final long TEST_SPLIT = 0x54455354L;

    private final String uid;

    public ChorusEnsembleClassifier() {
        this(Identifiable.randomUID("ChorusEnsembleClassifier"));
    }

    public ChorusEnsembleClassifier(String uid) {
        this.uid = uid;
        ChorusEnsembleParams.setDefaults(this);
    }

    @Override
    public String uid() {
        return uid;
    }

    @Override
    public ChorusEnsembleModel fit(Dataset<?> dataset) {
        transformSchema(dataset.schema(), true);
        if (!isDefined(runDir())) {
            throw new IllegalArgumentException("runDir: not set; fit needs a directory (any Hadoop URI) to write the "
                    + "run into");
        }
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(dataset.sparkSession().sparkContext());
        Configuration hadoop = jsc.hadoopConfiguration();
        ImageShape shape = new ImageShape((Integer) $(height()), (Integer) $(width()), (Integer) $(channels()));
        RunLayout layout;
        try {
            layout = RunLayout.of(getRunDir(), hadoop, "runDir");
        } catch (BadInputException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        Path runDir = layout.root();
        Path data = layout.data();
        // Every setting is checked before the dataset is read (classes as a placeholder); TrainJob checks the
        // run directory and writes nothing before everything has passed.
        JobConfig config = config(data, 2);
        SparkRunner.checkRunning(jsc, config.trainSpec().threads(), config.get(Keys.TRAIN_GPUS));

        Examples examples = collect(dataset, shape);
        int classes = Arrays.stream(examples.labels).max().orElse(0) + 1;
        config = config(data, Math.max(2, classes));
        Map<String, byte[]> files = dataFiles(examples, shape);

        ExitCode code;
        try (PrintStream log = logStream()) {
            TrainRequest request = new TrainRequest("chorus-ensemble-classifier", runDir.toString(),
                    (Boolean) $(overwrite()) ? TrainRequest.Policy.OVERWRITE : TrainRequest.Policy.NEW, jsc.master(),
                    Map.of(), List.of(), files);
            code = new TrainJob(hadoop, log, jsc).run(config, request);
        } catch (BadInputException e) {
            throw new IllegalArgumentException(e.getMessage().replace("--run-dir", "runDir")
                    .replace("--overwrite", "overwrite").replace("--resume", "a new runDir"), e);
        } catch (IOException e) {
            throw new UncheckedIOException("fit: " + e.getMessage(), e);
        }
        if (code == ExitCode.PARTIAL) {
            LOG.warn("fit: some members of {} diverged or failed; the model combines those that finished (run.json "
                    + "says which and why)", runDir);
        } else if (code != ExitCode.SUCCESS) {
            throw new IllegalStateException("fit: the run in " + runDir + " failed (" + code + "); its run.json says why");
        }
        ChorusEnsembleModel model = ChorusEnsembleModel.fromRun(runDir.toString(), hadoop);
        String yaml = model.getJobConfig();
        copyValues(model, ParamMap.empty());
        model.trainedWith(config, yaml);
        model.set(model.runDir(), runDir.toString());
        return model.setParent(this);
    }

    /** The job configuration: jobConfig's YAML, then the parameters set explicitly, then the data fit writes. */
    JobConfig config(Path dataDir, int classes) {
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

    /** The run's data/ in the IDX layout: the held-out test split and the training examples, each in dataset order. */
    private Map<String, byte[]> dataFiles(Examples all, ImageShape shape) {
        int n = all.labels.length;
        int test = (int) Math.max(1, Math.round(n * (Double) $(testFraction())));
        if (n - test < 1) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "testFraction: %s of %d rows leaves none "
                    + "to train on", $(testFraction()), n));
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
        LOG.info("fit: {} rows -> {} training and {} test examples of {}", n, trainRows.length, test, shape);
        return Map.of(DataFiles.TEST_IMAGES, IdxWriter.images(shape, testSet.pixels, test),
                DataFiles.TEST_LABELS, IdxWriter.labels(testSet.labels),
                DataFiles.TRAIN_IMAGES, IdxWriter.images(shape, trainSet.pixels, trainRows.length),
                DataFiles.TRAIN_LABELS, IdxWriter.labels(trainSet.labels));
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
        return scoredSchema(schema);
    }

    @Override
    public ChorusEnsembleClassifier copy(ParamMap extra) {
        return (ChorusEnsembleClassifier) defaultCopy(extra);
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
