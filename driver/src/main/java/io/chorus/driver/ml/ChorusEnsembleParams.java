package io.chorus.driver.ml;

import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;

import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.param.Params;
import org.apache.spark.sql.types.StructType;

import io.chorus.driver.config.ConfigKey;
import io.chorus.driver.config.Keys;
import io.chorus.driver.predict.EnsembleSpec;
import io.chorus.driver.predict.PredictJob;

/**
 * The parameters {@link ChorusEnsembleClassifier} and {@link ChorusEnsembleModel} share, so that a model
 * carries the configuration it was trained with. Declared once, here: each stage gets its own
 * {@link Param} objects (owned by its uid, as Spark requires) from a per-instance table, and Spark finds
 * them through these public no-argument methods.
 *
 * <p>Training parameters map to the keys of a Chorus job configuration ({@code members},
 * {@code train.epochs}, {@code seed}, {@code model.arch}), validated by the same rules; every other key
 * goes into {@link #jobConfig()} as YAML. A parameter set explicitly wins over the same key in the YAML.
 *
 * @param <T> the stage type, returned by the setters
 */
public interface ChorusEnsembleParams<T extends ChorusEnsembleParams<T>> extends Params {

    // ---- columns and input shape: used by fit and transform ----

    /** Input images: ML Vector / array of raw pixels 0..255 (row-major, channels last) or Spark's image schema. */
    default Param<String> featuresCol() {
        return table().featuresCol;
    }

    /** Class labels, integers 0..classes-1 (any numeric type holding integral values). Read by fit only. */
    default Param<String> labelCol() {
        return table().labelCol;
    }

    default Param<String> predictionCol() {
        return table().predictionCol;
    }

    default Param<String> probabilityCol() {
        return table().probabilityCol;
    }

    default Param<String> predictiveEntropyCol() {
        return table().predictiveEntropyCol;
    }

    default Param<String> mutualInformationCol() {
        return table().mutualInformationCol;
    }

    default Param<String> voteMarginCol() {
        return table().voteMarginCol;
    }

    default IntParam height() {
        return table().height;
    }

    default IntParam width() {
        return table().width;
    }

    default IntParam channels() {
        return table().channels;
    }

    // ---- combining ----

    /** How the model combines its networks: one of {@link EnsembleSpec#COMBINERS}. */
    default Param<String> combiner() {
        return table().combiner;
    }

    /** Images per forward pass in transform. */
    default IntParam batchSize() {
        return table().batchSize;
    }

    // ---- training ----

    /** Where fit writes the run (any Hadoop URI); for a model, the run it comes from. */
    default Param<String> runDir() {
        return table().runDir;
    }

    /** Whether fit may replace a run already in runDir. */
    default BooleanParam overwrite() {
        return table().overwrite;
    }

    /** A Chorus job configuration (YAML text) for every key without a parameter of its own. */
    default Param<String> jobConfig() {
        return table().jobConfig;
    }

    default IntParam members() {
        return table().members;
    }

    default IntParam epochs() {
        return table().epochs;
    }

    default LongParam seed() {
        return table().seed;
    }

    default Param<String> arch() {
        return table().arch;
    }

    /** Fraction of fit's rows held out as the run's test split, which the evaluation and report use. */
    default DoubleParam testFraction() {
        return table().testFraction;
    }

    // ---- getters and setters ----

    default String getFeaturesCol() {
        return $(featuresCol());
    }

    default String getLabelCol() {
        return $(labelCol());
    }

    default String getPredictionCol() {
        return $(predictionCol());
    }

    default String getProbabilityCol() {
        return $(probabilityCol());
    }

    default String getCombiner() {
        return $(combiner());
    }

    default String getRunDir() {
        return $(runDir());
    }

    default int getMembers() {
        return (Integer) $(members());
    }

    default int getEpochs() {
        return (Integer) $(epochs());
    }

    default long getSeed() {
        return (Long) $(seed());
    }

    default String getArch() {
        return $(arch());
    }

    default String getJobConfig() {
        return $(jobConfig());
    }

    default T setFeaturesCol(String value) {
        return with(featuresCol(), value);
    }

    default T setLabelCol(String value) {
        return with(labelCol(), value);
    }

    default T setPredictionCol(String value) {
        return with(predictionCol(), value);
    }

    default T setProbabilityCol(String value) {
        return with(probabilityCol(), value);
    }

    default T setPredictiveEntropyCol(String value) {
        return with(predictiveEntropyCol(), value);
    }

    default T setMutualInformationCol(String value) {
        return with(mutualInformationCol(), value);
    }

    default T setVoteMarginCol(String value) {
        return with(voteMarginCol(), value);
    }

    default T setHeight(int value) {
        return with(height(), value);
    }

    default T setWidth(int value) {
        return with(width(), value);
    }

    default T setChannels(int value) {
        return with(channels(), value);
    }

    default T setCombiner(String value) {
        return with(combiner(), value);
    }

    default T setBatchSize(int value) {
        return with(batchSize(), value);
    }

    default T setRunDir(String value) {
        return with(runDir(), value);
    }

    default T setOverwrite(boolean value) {
        return with(overwrite(), value);
    }

    default T setJobConfig(String value) {
        return with(jobConfig(), value);
    }

    default T setMembers(int value) {
        return with(members(), value);
    }

    default T setEpochs(int value) {
        return with(epochs(), value);
    }

    default T setSeed(long value) {
        return with(seed(), value);
    }

    default T setArch(String value) {
        return with(arch(), value);
    }

    default T setTestFraction(double value) {
        return with(testFraction(), value);
    }

    /** The scoring columns these parameters name. */
    default PredictJob.Columns columns() {
        return new PredictJob.Columns($(featuresCol()), $(predictionCol()), $(probabilityCol()),
                $(predictiveEntropyCol()), $(mutualInformationCol()), $(voteMarginCol()), true);
    }

    /** The schema transform produces from {@code schema}; fails naming the column that is wrong. */
    default StructType scoredSchema(StructType schema) {
        return columns().outputSchema(schema);
    }

    @SuppressWarnings("unchecked")
    private <V> T with(Param<V> param, V value) {
        set(param, value);
        return (T) this;
    }

    private Table table() {
        return Table.of(this);
    }

    /** Sets every default; each stage's constructor calls it. */
    static void setDefaults(ChorusEnsembleParams<?> p) {
        Table t = Table.of(p);
        p.setDefault(t.featuresCol, PredictJob.Columns.DEFAULT.features());
        p.setDefault(t.labelCol, PredictJob.LABEL);
        p.setDefault(t.predictionCol, PredictJob.Columns.DEFAULT.prediction());
        p.setDefault(t.probabilityCol, PredictJob.Columns.DEFAULT.probability());
        p.setDefault(t.predictiveEntropyCol, PredictJob.Columns.DEFAULT.predictiveEntropy());
        p.setDefault(t.mutualInformationCol, PredictJob.Columns.DEFAULT.mutualInformation());
        p.setDefault(t.voteMarginCol, PredictJob.Columns.DEFAULT.voteMargin());
        p.setDefault(t.height, 28);
        p.setDefault(t.width, 28);
        p.setDefault(t.channels, 1);
        p.setDefault(t.combiner, "average");
        p.setDefault(t.batchSize, 256);
        p.setDefault(t.overwrite, false);
        p.setDefault(t.jobConfig, "");
        p.setDefault(t.members, Keys.MEMBERS.defaultValue());
        p.setDefault(t.epochs, Keys.TRAIN_EPOCHS.defaultValue());
        p.setDefault(t.seed, Keys.SEED.defaultValue());
        p.setDefault(t.arch, Keys.MODEL_ARCH.defaultValue().configName());
        p.setDefault(t.testFraction, 0.1);
    }

    /** One stage's Param objects. */
    final class Table {
        private static final Map<Params, Table> TABLES = Collections.synchronizedMap(new WeakHashMap<>());

        final Param<String> featuresCol;
        final Param<String> labelCol;
        final Param<String> predictionCol;
        final Param<String> probabilityCol;
        final Param<String> predictiveEntropyCol;
        final Param<String> mutualInformationCol;
        final Param<String> voteMarginCol;
        final IntParam height;
        final IntParam width;
        final IntParam channels;
        final Param<String> combiner;
        final IntParam batchSize;
        final Param<String> runDir;
        final BooleanParam overwrite;
        final Param<String> jobConfig;
        final IntParam members;
        final IntParam epochs;
        final LongParam seed;
        final Param<String> arch;
        final DoubleParam testFraction;

        static Table of(Params owner) {
            return TABLES.computeIfAbsent(owner, Table::new);
        }

        private Table(Params o) {
            featuresCol = column(o, "featuresCol", "input images: an ML Vector or array of raw pixel values 0..255 "
                    + "(row-major, channels last), or a struct in Spark's image schema");
            labelCol = column(o, "labelCol", "class labels 0..classes-1 (read by fit)");
            predictionCol = column(o, "predictionCol", "predicted class (double)");
            probabilityCol = column(o, "probabilityCol", "class probabilities of the ensemble (ML Vector; vote "
                    + "shares for vote)");
            predictiveEntropyCol = column(o, "predictiveEntropyCol", "entropy of the combined probabilities (nats)");
            mutualInformationCol = column(o, "mutualInformationCol", "predictive entropy minus the members' mean "
                    + "entropy: how much the members disagree (nats)");
            voteMarginCol = column(o, "voteMarginCol", "share of members voting for the top class minus the runner-up's");
            height = new IntParam(o, "height", "image height in pixels", ParamValidators.gtEq(1));
            width = new IntParam(o, "width", "image width in pixels", ParamValidators.gtEq(1));
            channels = new IntParam(o, "channels", "image channels", ParamValidators.inRange(1, 4));
            combiner = new Param<>(o, "combiner", "how the networks are combined: " + String.join(", ",
                    EnsembleSpec.COMBINERS), ParamValidators.inArray(EnsembleSpec.COMBINERS.toArray(new String[0])));
            batchSize = new IntParam(o, "batchSize", "images per forward pass when transforming",
                    ParamValidators.gtEq(1));
            runDir = new Param<>(o, "runDir", "directory (any Hadoop URI) fit writes the run into; for a model, the "
                    + "run it comes from", (String s) -> s != null && !s.isBlank());
            overwrite = new BooleanParam(o, "overwrite", "whether fit may replace a run already in runDir");
            jobConfig = new Param<>(o, "jobConfig", "Chorus job configuration (YAML text, the keys of conf/*.yaml) for "
                    + "every setting without a parameter of its own; data.dir and data.classes come from the DataFrame",
                    (String s) -> s != null);
            members = keyed(o, "members", Keys.MEMBERS);
            epochs = keyed(o, "epochs", Keys.TRAIN_EPOCHS);
            seed = new LongParam(o, "seed", Keys.SEED.doc());
            arch = new Param<>(o, "arch", Keys.MODEL_ARCH.doc(), (String s) -> Keys.MODEL_ARCH.accepts(s));
            testFraction = new DoubleParam(o, "testFraction", "fraction of fit's rows held out (by the seed) as the "
                    + "run's test split for the evaluation and the report", ParamValidators.inRange(0, 1, false, false));
        }

        private static Param<String> column(Params o, String name, String doc) {
            return new Param<>(o, name, "column: " + doc, (String s) -> s != null && !s.isBlank());
        }

        private static IntParam keyed(Params o, String name, ConfigKey<Integer> key) {
            return new IntParam(o, name, key.doc() + " (job configuration key " + key.name() + ")",
                    (Object v) -> key.accepts(v));
        }
    }
}
