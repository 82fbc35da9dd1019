package io.chorus.driver.ml;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.type.TypeReference;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.ml.Model;
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
import org.apache.spark.sql.types.StructType;

import io.chorus.driver.config.ConfigException;
import io.chorus.driver.config.JobConfig;
import io.chorus.driver.config.Keys;
import io.chorus.driver.predict.EnsembleSpec;
import io.chorus.driver.predict.PredictJob;
import io.chorus.driver.run.RunLayout;
import io.chorus.worker.data.ImageShape;
import io.chorus.worker.fs.HadoopFiles;
import io.chorus.worker.fs.Json;

/**
 * A trained Chorus ensemble as a Spark ML {@link Model}: {@link #transform} adds the prediction, the class
 * probabilities (an ML Vector) and the uncertainty columns (predictive entropy, mutual information, vote
 * margin) to a DataFrame of images, scoring each partition in batches with every network loaded once per
 * executor.
 *
 * <p>A model holds every combiner its run's evaluation built ({@link #combiners()}), so
 * {@code setCombiner("vote")} switches without retraining. It comes from {@link ChorusEnsembleClassifier#fit},
 * from a Chorus run directory ({@link #load} of a directory holding run.json, or {@link #fromRun}), or from a
 * model saved with {@code write().save(path)}, which copies the networks it needs (checksums verified) and the
 * run's run.json, job.yaml and metrics.json, so it outlives the run directory. Saving refuses an existing
 * path unless {@code write().overwrite()} is asked for, as Spark's writers do.
 *
 * <p>The training parameters (members, epochs, seed, arch, jobConfig) and the input shape are the run's, read
 * from its job.yaml and members: the model carries the configuration it was trained with.
 */
public final class ChorusEnsembleModel extends Model<ChorusEnsembleModel>
        implements ChorusEnsembleParams<ChorusEnsembleModel>, MLWritable {
    private static final long serialVersionUID = 1L;
    /** Directory of a saved model holding its ensembles, networks and provenance. */
    static final String CHORUS = "chorus";
    static final String ENSEMBLES = "ensembles.json";
    static final List<String> PROVENANCE = List.of(RunLayout.RUN_JSON, RunLayout.JOB_YAML, RunLayout.EVAL + "/metrics.json");

    private final String uid;
    private final Map<String, EnsembleSpec> ensembles;
    private final String provenance;

    /**
     * @param provenance the directory holding the run's run.json, job.yaml and eval/metrics.json
     */
    ChorusEnsembleModel(String uid, Map<String, EnsembleSpec> ensembles, String provenance) {
        this.uid = uid;
        this.ensembles = Map.copyOf(ensembles);
        this.provenance = provenance;
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
        try {
            Path dir = HadoopFiles.qualify(HadoopFiles.path(runDir), conf);
            FileSystem fs = HadoopFiles.fileSystem(dir, conf);
            if (!fs.exists(new Path(dir, RunLayout.RUN_JSON))) {
                throw new IllegalArgumentException(runDir + " is not a Chorus run directory (no run.json)");
            }
            Map<String, EnsembleSpec> ensembles = new LinkedHashMap<>();
            List<String> missing = new ArrayList<>();
            for (String c : EnsembleSpec.COMBINERS) {
                try {
                    ensembles.put(c, EnsembleSpec.read(fs, dir, c));
                } catch (IllegalArgumentException e) {
                    if (e.getMessage().contains("has no evaluation")) {
                        throw e;
                    }
                    missing.add(c);
                }
            }
            if (ensembles.isEmpty()) {
                throw new IllegalArgumentException(runDir + ": its evaluation built none of " + EnsembleSpec.COMBINERS);
            }
            ChorusEnsembleModel model = new ChorusEnsembleModel(Identifiable.randomUID("ChorusEnsembleModel"), ensembles,
                    dir.toString());
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

    /** The networks and weights of the current combiner. */
    public EnsembleSpec ensemble() {
        String c = getCombiner();
        EnsembleSpec spec = ensembles.get(c);
        if (spec == null) {
            throw new IllegalArgumentException("combiner " + c + ": this model's run did not build it; it has "
                    + combiners());
        }
        return spec;
    }

    @Override
    public String uid() {
        return uid;
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        transformSchema(dataset.schema(), true);
        SparkSession spark = dataset.sparkSession();
        return PredictJob.score(spark, dataset.toDF(), ensemble(), (Integer) $(batchSize()),
                spark.sparkContext().hadoopConfiguration(), columns());
    }

    @Override
    public StructType transformSchema(StructType schema) {
        ImageShape shape = ensemble().shape();
        ImageShape asked = new ImageShape((Integer) $(height()), (Integer) $(width()), (Integer) $(channels()));
        if (!asked.equals(shape)) {
            throw new IllegalArgumentException("height, width, channels: " + asked + ", but the ensemble was trained "
                    + "on " + shape + " images");
        }
        return scoredSchema(schema);
    }

    @Override
    public ChorusEnsembleModel copy(ParamMap extra) {
        ChorusEnsembleModel copy = new ChorusEnsembleModel(uid, ensembles, provenance);
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
        return "ChorusEnsembleModel: uid=" + uid + ", combiner=" + getCombiner() + " of " + combiners()
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
            DefaultParamsWriter.saveMetadata(model, path, sc(), scala.Option.empty(), scala.Option.empty());
            Configuration conf = sc().hadoopConfiguration();
            try {
                Path root = new Path(path, CHORUS);
                FileSystem fs = root.getFileSystem(conf);
                Map<String, String> copied = new LinkedHashMap<>();
                Map<String, EnsembleSpec> saved = new LinkedHashMap<>();
                for (Map.Entry<String, EnsembleSpec> e : model.ensembles.entrySet()) {
                    List<EnsembleSpec.Model> models = new ArrayList<>();
                    for (EnsembleSpec.Model m : e.getValue().models()) {
                        EnsembleSpec.Model b = m.backbone() == null ? null : copy(m.backbone(), fs, root, conf, copied);
                        models.add(new EnsembleSpec.Model(m.id(), copy(m, fs, root, conf, copied).path(), m.sha256(),
                                m.normalization(), b));
                    }
                    EnsembleSpec s = e.getValue();
                    saved.put(e.getKey(), new EnsembleSpec(s.name(), s.vote(), models, s.weights(), s.classes(), s.shape()));
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

        /** Copies one network once, under its id; returns it with the path relative to chorus/. */
        private static EnsembleSpec.Model copy(EnsembleSpec.Model m, FileSystem fs, Path root, Configuration conf,
                                               Map<String, String> copied) throws IOException {
            String name = "models/" + m.id() + ".zip";
            if (!copied.containsKey(m.id())) {
                Path from = new Path(m.path());
                byte[] bytes = HadoopFiles.readAll(from.getFileSystem(conf), from);
                String sha = HadoopFiles.sha256(bytes);
                if (!sha.equals(m.sha256())) {
                    throw new IOException(from + " has SHA-256 " + sha + " but its run lists " + m.sha256()
                            + "; not saving a network that changed");
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
                Map<String, EnsembleSpec> saved = Json.MAPPER.readValue(HadoopFiles.readAll(fs, new Path(root, ENSEMBLES)),
                        new TypeReference<LinkedHashMap<String, EnsembleSpec>>() { });
                Map<String, EnsembleSpec> ensembles = new LinkedHashMap<>();
                for (Map.Entry<String, EnsembleSpec> e : saved.entrySet()) {
                    List<EnsembleSpec.Model> models = new ArrayList<>();
                    for (EnsembleSpec.Model m : e.getValue().models()) {
                        models.add(verified(m, fs, root));
                    }
                    EnsembleSpec s = e.getValue();
                    ensembles.put(e.getKey(), new EnsembleSpec(s.name(), s.vote(), models, s.weights(), s.classes(), s.shape()));
                }
                if (ensembles.isEmpty()) {
                    throw new IllegalArgumentException(new Path(root, ENSEMBLES) + " lists no ensemble");
                }
                ChorusEnsembleModel model = new ChorusEnsembleModel(metadata.uid(), ensembles,
                        new Path(root, "run").toString());
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
