package io.chorus.driver.ml;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.ml.attribute.AttributeGroup;
import org.apache.spark.ml.attribute.NominalAttribute;
import org.apache.spark.ml.classification.ProbabilisticClassificationModel;
import org.apache.spark.ml.linalg.DenseVector;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWriter;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chorus.driver.config.ConfigException;
import io.chorus.driver.config.JobConfig;
import io.chorus.driver.config.Keys;
import io.chorus.driver.eval.ModelStore;
import io.chorus.driver.predict.EnsemblePredictor;
import io.chorus.driver.predict.EnsembleSpec;
import io.chorus.driver.predict.Pixels;
import io.chorus.driver.predict.PredictJob;
import io.chorus.driver.run.RunLayout;
import io.chorus.worker.data.IdxReader;
import io.chorus.worker.data.ImageData;
import io.chorus.worker.data.ImageShape;
import io.chorus.worker.fs.HadoopFiles;
import io.chorus.worker.fs.Json;

/**
 * A trained Chorus ensemble as a Spark ML {@link ProbabilisticClassificationModel}: {@link #transform} adds
 * Spark's classifier columns (prediction, with nominal metadata; probability; rawPrediction, the log of the
 * combined probabilities) and the uncertainty columns (predictive entropy, mutual information, vote margin)
 * to a DataFrame of images, scoring each partition in batches with every network loaded once per executor.
 * {@link #predictRaw}, {@link #predictProbability} and {@link #predict} score one Vector on the driver;
 * {@code thresholds} work as in Spark's classifiers.
 *
 * <p>A model holds every combiner its run's evaluation built ({@link #combiners()}), so
 * {@code setCombiner("vote")} switches without retraining. It comes from {@link ChorusEnsembleClassifier#fit},
 * from a Chorus run directory ({@link #load} of a directory holding run.json, or {@link #fromRun}), or from a
 * model saved with {@code write().save(path)}, which copies the networks it needs (checksums verified) and the
 * run's run.json, job.yaml and metrics.json, so it outlives the run directory. Saving refuses an existing
 * path unless {@code write().overwrite()} is asked for, as Spark's writers do.
 *
 * <p>A model that {@code fit} returns owns its networks: they are read into memory (checksums verified) when
 * the fit ends, and transform sends them to the executors, so the model keeps working when its run directory
 * is removed. A model loaded from a run or a saved model reads the networks' files.
 *
 * <p>The training parameters (members, epochs, seed, arch, jobConfig) and the input shape are the run's, read
 * from its job.yaml and members: the model carries the configuration it was trained with.
 */
public final class ChorusEnsembleModel extends ProbabilisticClassificationModel<Vector, ChorusEnsembleModel>
        implements ChorusEnsembleParams<ChorusEnsembleModel>, MLWritable {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ChorusEnsembleModel.class);
    /** Directory of a saved model holding its ensembles, networks and provenance. */
    static final String CHORUS = "chorus";
    static final String ENSEMBLES = "ensembles.json";
    static final List<String> PROVENANCE = List.of(RunLayout.RUN_JSON, RunLayout.JOB_YAML, RunLayout.EVAL + "/metrics.json");
    /** The smallest rawPrediction: the log of a probability of 0 would be minus infinity. */
    static final double LOG_FLOOR = Math.log(Double.MIN_VALUE);

    private final String uid;
    private final Map<String, EnsembleSpec> ensembles;
    private final String provenance;
    /** Model file bytes by SHA-256, when the model owns its networks; else empty (the files are read). */
    private final Map<String, byte[]> networks;

    /**
     * @param provenance the directory holding the run's run.json, job.yaml and eval/metrics.json
     */
    ChorusEnsembleModel(String uid, Map<String, EnsembleSpec> ensembles, String provenance, Map<String, byte[]> networks) {
        this(PendingUid.of(uid), ensembles, provenance, networks);
    }

    private ChorusEnsembleModel(PendingUid uid, Map<String, EnsembleSpec> ensembles, String provenance,
                                Map<String, byte[]> networks) {
        this.uid = uid.take();
        this.ensembles = Map.copyOf(ensembles);
        this.provenance = provenance;
        this.networks = Map.copyOf(networks);
        ChorusEnsembleParams.setDefaults(this);
        EnsembleSpec any = ensembles.values().iterator().next();
        setDefault(height(), any.shape().height());
        setDefault(width(), any.shape().width());
        setDefault(channels(), any.shape().channels());
        setDefault(combiner(), ensembles.containsKey("average") ? "average" : combiners().get(0));
    }

    /** The model of the evaluated Chorus run in {@code runDir} (any Hadoop URI). */
    public static ChorusEnsembleModel fromRun(String runDir) {
        return fromRun(runDir, hadoopConf());
    }

    static ChorusEnsembleModel fromRun(String runDir, Configuration conf) {
        return fromRun(runDir, conf, Identifiable.randomUID("ChorusEnsembleModel"), false);
    }

    /**
     * The model of the run in {@code runDir} with {@code uid}; with {@code own}, its networks are read into
     * memory (each checked against its recorded SHA-256), so that it no longer needs the run's files.
     */
    static ChorusEnsembleModel fromRun(String runDir, Configuration conf, String uid, boolean own) {
        try {
            Path dir = HadoopFiles.qualify(HadoopFiles.path(runDir), conf);
            FileSystem fs = HadoopFiles.fileSystem(dir, conf);
            if (!fs.exists(new Path(dir, RunLayout.RUN_JSON))) {
                throw new IllegalArgumentException(runDir + " is not a Chorus run directory (no run.json)");
            }
            Map<String, EnsembleSpec> ensembles = new LinkedHashMap<>();
            for (String c : EnsembleSpec.COMBINERS) {
                try {
                    ensembles.put(c, EnsembleSpec.read(fs, dir, c));
                } catch (IllegalArgumentException e) {
                    if (e.getMessage().contains("has no evaluation")) {
                        throw e;
                    }
                }
            }
            if (ensembles.isEmpty()) {
                throw new IllegalArgumentException(runDir + ": its evaluation built none of " + EnsembleSpec.COMBINERS);
            }
            Map<String, byte[]> networks = new LinkedHashMap<>();
            if (own) {
                for (EnsembleSpec spec : ensembles.values()) {
                    for (EnsembleSpec.Model m : files(spec)) {
                        if (!networks.containsKey(m.sha256())) {
                            networks.put(m.sha256(), verifiedBytes(m, conf));
                        }
                    }
                }
            }
            ChorusEnsembleModel model = new ChorusEnsembleModel(uid, ensembles, dir.toString(), networks);
            String yaml = new String(HadoopFiles.readAll(fs, new Path(dir, RunLayout.JOB_YAML)), StandardCharsets.UTF_8);
            model.trainedWith(JobConfig.parse(yaml, new Path(dir, RunLayout.JOB_YAML).toString(), List.of()), yaml);
            model.set(model.runDir(), dir.toString());
            return model;
        } catch (IOException e) {
            throw new UncheckedIOException(runDir + ": " + e.getMessage(), e);
        } catch (ConfigException e) {
            throw new IllegalArgumentException(runDir + "/job.yaml: " + e.getMessage(), e);
        }
    }

    /** Every model file an ensemble reads: its models and their heads' backbones. */
    private static List<EnsembleSpec.Model> files(EnsembleSpec spec) {
        List<EnsembleSpec.Model> out = new ArrayList<>();
        for (EnsembleSpec.Model m : spec.models()) {
            if (m.backbone() != null) {
                out.add(m.backbone());
            }
            out.add(m);
        }
        return out;
    }

    /** The bytes of a model file, once they match its recorded SHA-256. */
    private static byte[] verifiedBytes(EnsembleSpec.Model m, Configuration conf) throws IOException {
        Path from = new Path(m.path());
        FileSystem fs = from.getFileSystem(conf);
        if (!fs.exists(from)) {
            throw new IllegalArgumentException("model file " + from + " is listed in its run's eval/models.json but missing");
        }
        byte[] bytes = HadoopFiles.readAll(fs, from);
        String sha = HadoopFiles.sha256(bytes);
        if (!sha.equals(m.sha256())) {
            throw new IllegalArgumentException(from + " has SHA-256 " + sha + " but its run lists " + m.sha256()
                    + "; the network changed");
        }
        return bytes;
    }

    /** Whether this model holds its networks in memory (a fitted model) rather than reading their files. */
    public boolean ownsNetworks() {
        return !networks.isEmpty();
    }

    /** The bytes of the networks {@code spec} reads that this model holds, by SHA-256 (empty if it holds none). */
    private Map<String, byte[]> networksOf(EnsembleSpec spec) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        for (EnsembleSpec.Model m : files(spec)) {
            byte[] b = networks.get(m.sha256());
            if (b != null) {
                out.put(m.sha256(), b);
            }
        }
        return out;
    }

    /** Sets the training parameters to the configuration the run was trained with. */
    void trainedWith(JobConfig config, String yaml) {
        set(members(), config.members());
        set(epochs(), config.get(Keys.TRAIN_EPOCHS));
        set(seed(), config.seed());
        set(arch(), config.get(Keys.MODEL_ARCH).configName());
        set(jobConfig(), yaml);
    }

    /**
     * The directory holding the run's run.json (seeds, versions, Spark, members), job.yaml and
     * eval/metrics.json: the run itself, or chorus/run/ of a saved model.
     */
    public String provenanceDir() {
        return provenance;
    }

    /** The combiners this model can use, in {@link EnsembleSpec#COMBINERS} order. */
    public List<String> combiners() {
        return EnsembleSpec.COMBINERS.stream().filter(ensembles::containsKey).toList();
    }

    /**
     * The networks and combiner of the current {@code combiner}, temperature-scaled when {@code calibrated} is set.
     *
     * @throws IllegalArgumentException if the run did not build that combiner, or when calibrated, fitted no
     *                                  temperature for it
     */
    public EnsembleSpec ensemble() {
        String c = getCombiner();
        EnsembleSpec spec = ensembles.get(c);
        if (spec == null) {
            throw new IllegalArgumentException("combiner " + c + ": this model's run did not build it; it has "
                    + combiners());
        }
        if (getCalibrated()) {
            try {
                return spec.calibrated();
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("calibrated: " + e.getMessage(), e);
            }
        }
        return spec;
    }

    /**
     * The temperature the current combiner's probabilities are scaled with: empty unless {@code calibrated} is set.
     *
     * @throws IllegalArgumentException as {@link #ensemble()}
     */
    public java.util.OptionalDouble temperature() {
        Double t = ensemble().appliedTemperature();
        return t == null ? java.util.OptionalDouble.empty() : java.util.OptionalDouble.of(t);
    }

    @Override
    public String uid() {
        return uid != null ? uid : PendingUid.current();
    }

    @Override
    public int numClasses() {
        return ensembles.values().iterator().next().classes();
    }

    @Override
    public int numFeatures() {
        return ensembles.values().iterator().next().shape().pixels();
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        transformSchema(dataset.schema(), true);
        SparkSession spark = dataset.sparkSession();
        String features = getFeaturesCol();
        if (!isSet(featureRange())) {
            Features.rangeWarning(dataset, features, false).ifPresent(LOG::warn);
        }
        EnsembleSpec spec = ensemble();
        Map<String, byte[]> held = networksOf(spec);
        boolean scale = ChorusEnsembleParams.RANGE_1.equals(getFeatureRange());
        // A scaled column is scored scaled to 0..255 and passed through as it came, kept aside meanwhile.
        Dataset<Row> input = scale ? dataset.withColumn(Features.ORIGINAL, quoted(features)) : dataset.toDF();
        input = Features.toPixelRange(input, features, getFeatureRange());
        Dataset<Row> scored = PredictJob.score(spark, input, spec, getBatchSize(),
                spark.sparkContext().hadoopConfiguration(), columns(), held.isEmpty() ? null : held);
        if (scale) {
            scored = scored.withColumn(features, functions.col(Features.ORIGINAL)).drop(Features.ORIGINAL);
        }
        String probability = getProbabilityCol();
        if (isDefined(thresholds())) {
            double[] t = getThresholds();
            UDF1<Vector, Double> byThresholds = p -> (double) thresholded(p.toArray(), t);
            scored = scored.withColumn(getPredictionCol(), functions.udf(byThresholds, DataTypes.DoubleType)
                    .asNonNullable().apply(scored.col(probability)));
        }
        if (!getRawPredictionCol().isEmpty()) {
            UDF1<Vector, Vector> raw = p -> Vectors.dense(logOf(p.toArray()));
            scored = scored.withColumn(getRawPredictionCol(), functions.udf(raw, SQLDataTypes.VectorType())
                    .asNonNullable().apply(scored.col(probability)));
        }
        StructType schema = transformSchema(dataset.schema());
        for (StructField f : schema.fields()) {
            if (f.metadata().contains("ml_attr")) {
                scored = scored.withMetadata(f.name(), f.metadata());
            }
        }
        return scored;
    }

    @Override
    public StructType transformSchema(StructType schema) {
        ImageShape shape = ensemble().shape();
        ImageShape asked = shape();
        if (!asked.equals(shape)) {
            throw new IllegalArgumentException("height, width, channels: " + asked + ", but the ensemble was trained "
                    + "on " + shape + " images");
        }
        if (isDefined(thresholds()) && getThresholds().length != numClasses()) {
            throw new IllegalArgumentException("thresholds: " + getThresholds().length + " value(s), but the model has "
                    + numClasses() + " classes; give one per class");
        }
        StructType scored = scoredSchema(schema);
        List<StructField> fields = new ArrayList<>();
        for (StructField f : scored.fields()) {
            if (f.name().equals(getPredictionCol())) {
                f = f.copy(f.name(), f.dataType(), f.nullable(), NominalAttribute.defaultAttr().withName(f.name())
                        .withNumValues(numClasses()).toMetadata());
            } else if (f.name().equals(getProbabilityCol())) {
                f = f.copy(f.name(), f.dataType(), f.nullable(), new AttributeGroup(f.name(), numClasses()).toMetadata());
            }
            fields.add(f);
        }
        String raw = getRawPredictionCol();
        if (!raw.isEmpty()) {
            if (java.util.Arrays.asList(schema.fieldNames()).contains(raw)) {
                throw new IllegalArgumentException("input already has a column named " + raw);
            }
            fields.add(DataTypes.createStructField(raw, SQLDataTypes.VectorType(), false,
                    new AttributeGroup(raw, numClasses()).toMetadata()));
        }
        return DataTypes.createStructType(fields);
    }

    private static org.apache.spark.sql.Column quoted(String column) {
        return functions.col("`" + column.replace("`", "``") + "`");
    }

    /** The log of each probability: the rawPrediction of the combined probabilities (a 0 gives {@link #LOG_FLOOR}). */
    static double[] logOf(double[] p) {
        double[] raw = new double[p.length];
        for (int k = 0; k < p.length; k++) {
            raw[k] = p[k] > 0 ? Math.max(LOG_FLOOR, Math.log(p[k])) : LOG_FLOOR;
        }
        return raw;
    }

    /** Spark's rule for thresholds: the class with the largest probability / threshold (0 wins outright). */
    static int thresholded(double[] p, double[] t) {
        int best = 0;
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < p.length; k++) {
            double scaled = t[k] == 0 ? Double.POSITIVE_INFINITY : p[k] / t[k];
            if (scaled > max) {
                max = scaled;
                best = k;
            }
        }
        return best;
    }

    /** The ensemble's scores of one image (a Vector of featuresCol's kind), computed here, on the driver. */
    private EnsemblePredictor.Scores scoreOne(Vector features) {
        EnsembleSpec spec = ensemble();
        ImageShape shape = spec.shape();
        Object value = ChorusEnsembleParams.RANGE_1.equals(getFeatureRange())
                ? Vectors.dense(Features.scaled(features, getFeaturesCol())) : features;
        byte[] hwc = new byte[shape.pixels()];
        Pixels.write(value, shape, getFeaturesCol(), hwc, 0);
        byte[] chw = shape.channels() == 1 ? hwc
                : IdxReader.toChannelsFirst(hwc, 1, shape.height(), shape.width(), shape.channels());
        Map<String, byte[]> held = networksOf(spec);
        ModelStore.hold(held);
        try {
            return EnsemblePredictor.score(spec, new ImageData(shape, chw, new int[1], spec.classes()), 0, 1, 1,
                    hadoopConf());
        } catch (IOException e) {
            throw new UncheckedIOException("scoring one image: " + e.getMessage(), e);
        }
    }

    /** The log of the combined probabilities of one image. */
    @Override
    public Vector predictRaw(Vector features) {
        return Vectors.dense(logOf(scoreOne(features).probability()[0]));
    }

    /** The combined probabilities of one image (vote shares for vote). */
    @Override
    public Vector predictProbability(Vector features) {
        return Vectors.dense(scoreOne(features).probability()[0]);
    }

    /** The predicted class of one image: the combiner's (the vote's tie rule for vote), or by thresholds. */
    @Override
    public double predict(Vector features) {
        EnsemblePredictor.Scores s = scoreOne(features);
        return isDefined(thresholds()) ? thresholded(s.probability()[0], getThresholds()) : s.prediction()[0];
    }

    /** Probabilities from {@link #predictRaw}'s logs: a softmax, in place. */
    @Override
    public Vector raw2probabilityInPlace(Vector raw) {
        if (!(raw instanceof DenseVector d)) {
            throw new IllegalArgumentException("raw2probabilityInPlace: expected a dense vector, got " + raw);
        }
        double[] v = d.values();
        double max = java.util.Arrays.stream(v).max().orElse(0);
        double sum = 0;
        for (int k = 0; k < v.length; k++) {
            v[k] = Math.exp(v[k] - max);
            sum += v[k];
        }
        for (int k = 0; k < v.length; k++) {
            v[k] /= sum;
        }
        return d;
    }

    /** For Spark's training summaries (which this model has none of): this model and its columns. */
    @Override
    @SuppressWarnings({"rawtypes", "unchecked"})
    public scala.Tuple3 findSummaryModel() {
        return new scala.Tuple3(this, getProbabilityCol(), getPredictionCol());
    }

    @Override
    public ChorusEnsembleModel copy(ParamMap extra) {
        ChorusEnsembleModel copy = new ChorusEnsembleModel(uid, ensembles, provenance, networks);
        return copyValues(copy, extra).setParent(parent());
    }

    @Override
    public MLWriter write() {
        return new Writer(this);
    }

    public static MLReader<ChorusEnsembleModel> read() {
        return new Reader();
    }

    /** A model saved with {@code write().save(path)}, or the model of the Chorus run directory {@code path}. */
    public static ChorusEnsembleModel load(String path) {
        return read().load(path);
    }

    @Override
    public String toString() {
        return "ChorusEnsembleModel: uid=" + uid + ", combiner=" + getCombiner() + (getCalibrated() ? " (calibrated)" : "")
                + " of " + combiners()
                + (isDefined(runDir()) ? ", run " + getRunDir() : "");
    }

    private static Configuration hadoopConf() {
        return SparkSession.getActiveSession().isDefined()
                ? SparkSession.getActiveSession().get().sparkContext().hadoopConfiguration() : new Configuration();
    }

    /**
     * Saves the parameters as Spark's writers do (metadata/), and under chorus/: the ensembles, each network
     * they use (copied only once its checksum verifies) and the run's provenance files.
     */
    static final class Writer extends MLWriter {
        private final ChorusEnsembleModel model;

        Writer(ChorusEnsembleModel model) {
            this.model = model;
        }

        @Override
        public void saveImpl(String path) {
            DefaultParamsWriter.saveMetadata(model, path, sc(), scala.Option.apply(calibration(model)), scala.Option.empty());
            Configuration conf = sc().hadoopConfiguration();
            try {
                Path root = new Path(path, CHORUS);
                FileSystem fs = root.getFileSystem(conf);
                Map<String, String> copied = new LinkedHashMap<>();
                Map<String, Object> saved = new LinkedHashMap<>();
                for (Map.Entry<String, EnsembleSpec> e : model.ensembles.entrySet()) {
                    List<EnsembleSpec.Model> models = new ArrayList<>();
                    for (EnsembleSpec.Model m : e.getValue().models()) {
                        EnsembleSpec.Model b = m.backbone() == null ? null : copy(m.backbone(), fs, root, conf, copied,
                                model.networks);
                        models.add(new EnsembleSpec.Model(m.id(), copy(m, fs, root, conf, copied, model.networks).path(), m.sha256(),
                                m.normalization(), b));
                    }
                    saved.put(e.getKey(), e.getValue().withModels(models).toJson());
                }
                HadoopFiles.writeAtomically(fs, new Path(root, ENSEMBLES), Json.write(saved));
                Path run = new Path(model.provenance);
                FileSystem runFs = run.getFileSystem(conf);
                for (String f : PROVENANCE) {
                    Path from = new Path(run, f);
                    if (runFs.exists(from)) {
                        HadoopFiles.writeAtomically(fs, new Path(new Path(root, "run"), f), HadoopFiles.readAll(runFs, from));
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("saving the model to " + path + ": " + e.getMessage(), e);
            }
        }

        /**
         * What the metadata says beside the parameters: {@code "chorus": {"combiner", "calibrated", "temperature"}},
         * the temperature being the one the current combiner scales with (absent when not calibrated).
         */
        private static org.json4s.JsonAST.JObject calibration(ChorusEnsembleModel model) {
            EnsembleSpec spec = model.ensembles.get(model.getCombiner());
            Double t = spec == null || !model.getCalibrated() ? null : spec.fittedTemperature();
            List<scala.Tuple2<String, org.json4s.JsonAST.JValue>> fields = new ArrayList<>();
            fields.add(new scala.Tuple2<>("combiner", new org.json4s.JsonAST.JString(model.getCombiner())));
            fields.add(new scala.Tuple2<>("calibrated", new org.json4s.JsonAST.JBool(model.getCalibrated())));
            if (t != null) {
                fields.add(new scala.Tuple2<>("temperature", new org.json4s.JsonAST.JDouble(t)));
            }
            org.json4s.JsonAST.JValue chorus = new org.json4s.JsonAST.JObject(scalaList(fields));
            return new org.json4s.JsonAST.JObject(scalaList(List.of(new scala.Tuple2<>(CHORUS, chorus))));
        }

        private static <V> scala.collection.immutable.List<V> scalaList(List<V> list) {
            return scala.collection.JavaConverters.asScalaBuffer(list).toList();
        }

        /**
         * Copies one network once, under its id, from the bytes the model holds or else from its file; returns
         * it with the path relative to chorus/.
         */
        private static EnsembleSpec.Model copy(EnsembleSpec.Model m, FileSystem fs, Path root, Configuration conf,
                                               Map<String, String> copied, Map<String, byte[]> held) throws IOException {
            String name = "models/" + m.id() + ".zip";
            if (!copied.containsKey(m.id())) {
                byte[] bytes = held.get(m.sha256());
                if (bytes == null) {
                    Path from = new Path(m.path());
                    bytes = HadoopFiles.readAll(from.getFileSystem(conf), from);
                    String sha = HadoopFiles.sha256(bytes);
                    if (!sha.equals(m.sha256())) {
                        throw new IOException(from + " has SHA-256 " + sha + " but its run lists " + m.sha256()
                                + "; not saving a network that changed");
                    }
                }
                HadoopFiles.writeAtomically(fs, new Path(root, name), bytes);
                copied.put(m.id(), name);
            }
            return new EnsembleSpec.Model(m.id(), name, m.sha256(), m.normalization(), m.backbone());
        }
    }

    /** Reads a saved model, or a run directory. */
    static final class Reader extends MLReader<ChorusEnsembleModel> {
        @Override
        public ChorusEnsembleModel load(String path) {
            Configuration conf = sc().hadoopConfiguration();
            try {
                Path dir = HadoopFiles.qualify(HadoopFiles.path(path), conf);
                FileSystem fs = HadoopFiles.fileSystem(dir, conf);
                if (!fs.exists(new Path(dir, "metadata"))) {
                    if (fs.exists(new Path(dir, RunLayout.RUN_JSON))) {
                        return fromRun(dir.toString(), conf);
                    }
                    throw new IllegalArgumentException(path + " is neither a saved ChorusEnsembleModel (no metadata/) nor "
                            + "a Chorus run directory (no run.json)");
                }
                DefaultParamsReader.Metadata metadata = DefaultParamsReader.loadMetadata(dir.toString(), sc(),
                        ChorusEnsembleModel.class.getName());
                Path root = new Path(dir, CHORUS);
                com.fasterxml.jackson.databind.JsonNode saved = Json.MAPPER.readTree(
                        HadoopFiles.readAll(fs, new Path(root, ENSEMBLES)));
                Map<String, EnsembleSpec> ensembles = new LinkedHashMap<>();
                for (Map.Entry<String, com.fasterxml.jackson.databind.JsonNode> e : saved.properties()) {
                    EnsembleSpec s;
                    try {
                        s = EnsembleSpec.fromJson(e.getValue());
                    } catch (IllegalArgumentException bad) {
                        throw new IllegalArgumentException(new Path(root, ENSEMBLES) + ": ensemble " + e.getKey() + ": "
                                + bad.getMessage(), bad);
                    }
                    List<EnsembleSpec.Model> models = new ArrayList<>();
                    for (EnsembleSpec.Model m : s.models()) {
                        models.add(verified(m, fs, root));
                    }
                    ensembles.put(e.getKey(), s.withModels(models));
                }
                if (ensembles.isEmpty()) {
                    throw new IllegalArgumentException(new Path(root, ENSEMBLES) + " lists no ensemble");
                }
                ChorusEnsembleModel model = new ChorusEnsembleModel(metadata.uid(), ensembles,
                        new Path(root, "run").toString(), Map.of());
                metadata.getAndSetParams(model, scala.Option.empty());
                return model;
            } catch (IOException e) {
                throw new UncheckedIOException("loading a ChorusEnsembleModel from " + path + ": " + e.getMessage(), e);
            }
        }

        /** The saved network with its path made absolute, once its checksum verifies. */
        private static EnsembleSpec.Model verified(EnsembleSpec.Model m, FileSystem fs, Path root) throws IOException {
            Path file = new Path(root, m.path());
            if (!fs.exists(file)) {
                throw new IllegalArgumentException(file + " is missing (listed in " + ENSEMBLES + ")");
            }
            String sha = HadoopFiles.sha256(HadoopFiles.readAll(fs, file));
            if (!sha.equals(m.sha256())) {
                throw new IllegalArgumentException(file + " has SHA-256 " + sha + " but " + ENSEMBLES + " lists "
                        + m.sha256() + "; the saved model is corrupt");
            }
            EnsembleSpec.Model b = m.backbone() == null ? null : verified(m.backbone(), fs, root);
            return new EnsembleSpec.Model(m.id(), file.toString(), m.sha256(), m.normalization(), b);
        }
    }
}
