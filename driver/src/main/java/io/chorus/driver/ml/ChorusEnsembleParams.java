package io.chorus.driver.ml;

import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;

import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;
import scala.Function1;
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
 * <p>The columns Spark's classifiers have ({@code featuresCol}, {@code labelCol}, {@code predictionCol},
 * {@code probabilityCol}, {@code rawPredictionCol}, {@code thresholds}) come from Spark's own
 * {@code ProbabilisticClassifier} / {@code ProbabilisticClassificationModel}; this interface names the
 * first four so that the scoring columns can be read from either stage.
 *
 * <p>Every validator names the parameter, the value and what is allowed.
 *
 * <p>Training parameters map to the keys of a Chorus job configuration ({@code members},
 * {@code train.epochs}, {@code seed}, {@code model.arch}), validated by the same rules; every other key
 * goes into {@link #jobConfig()} as YAML. A parameter set explicitly wins over the same key in the YAML.
 *
 * @param <T> the stage type, returned by the setters
 */
public interface ChorusEnsembleParams<T extends ChorusEnsembleParams<T>> extends Params {

    /** Values {@link #featureRange()} accepts: raw pixels (what IDX files and Spark's image schema hold), or scaled. */
    String RANGE_255 = "0..255";
    String RANGE_1 = "0..1";

    // ---- Spark's own columns (ProbabilisticClassifier and its model implement these) ----

    Param<String> featuresCol();

    Param<String> labelCol();

    Param<String> predictionCol();

    Param<String> probabilityCol();

    String getFeaturesCol();

    String getLabelCol();

    String getPredictionCol();

    String getProbabilityCol();

    // ---- Chorus's columns and input shape: used by fit and transform ----

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

    /** The range of featuresCol's values: {@value #RANGE_255} (raw pixels, the default) or {@value #RANGE_1}. */
    default Param<String> featureRange() {
        return table().featureRange;
    }

    // ---- combining ----

    /** How the model combines its networks: one of {@link EnsembleSpec#COMBINERS}. */
    default Param<String> combiner() {
        return table().combiner;
    }

    /**
     * Whether the combiner's probabilities are temperature-scaled with the temperature the run's evaluation
     * fitted for it on the validation split (eval/metrics.json); predictions do not change.
     */
    default BooleanParam calibrated() {
        return table().calibrated;
    }

    /** Images per forward pass in transform. */
    default IntParam batchSize() {
        return table().batchSize;
    }

    // ---- training ----

    /**
     * For the estimator: the parent directory (any Hadoop URI) under which every fit writes a run of its own;
     * for a model, the run it comes from.
     */
    default Param<String> runDir() {
        return table().runDir;
    }

    /** No longer used: every fit writes a new run. Kept so that estimators saved with it still load. */
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

    /** Fraction of the remaining rows the members hold out for validation (data.validation), unless jobConfig sets it. */
    default DoubleParam validationFraction() {
        return table().validationFraction;
    }

    // ---- getters ----

    default String getPredictiveEntropyCol() {
        return $(predictiveEntropyCol());
    }

    default String getMutualInformationCol() {
        return $(mutualInformationCol());
    }

    default String getVoteMarginCol() {
        return $(voteMarginCol());
    }

    default int getHeight() {
        return (Integer) $(height());
    }

    default int getWidth() {
        return (Integer) $(width());
    }

    default int getChannels() {
        return (Integer) $(channels());
    }

    default String getFeatureRange() {
        return $(featureRange());
    }

    default String getCombiner() {
        return $(combiner());
    }

    default boolean getCalibrated() {
        return (Boolean) $(calibrated());
    }

    default int getBatchSize() {
        return (Integer) $(batchSize());
    }

    default String getRunDir() {
        return $(runDir());
    }

    default boolean getOverwrite() {
        return (Boolean) $(overwrite());
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

    default double getTestFraction() {
        return (Double) $(testFraction());
    }

    default double getValidationFraction() {
        return (Double) $(validationFraction());
    }

    // ---- setters (Spark's columns have Spark's setters) ----

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

    default T setFeatureRange(String value) {
        return with(featureRange(), value);
    }

    default T setCombiner(String value) {
        return with(combiner(), value);
    }

    default T setCalibrated(boolean value) {
        return with(calibrated(), value);
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

    default T setValidationFraction(double value) {
        return with(validationFraction(), value);
    }

    /** The scoring columns these parameters name. */
    default PredictJob.Columns columns() {
        return new PredictJob.Columns(getFeaturesCol(), getPredictionCol(), getProbabilityCol(),
                $(predictiveEntropyCol()), $(mutualInformationCol()), $(voteMarginCol()), true);
    }

    /** The input shape these parameters name. */
    default io.chorus.worker.data.ImageShape shape() {
        return new io.chorus.worker.data.ImageShape(getHeight(), getWidth(), getChannels());
    }

    /** The schema PredictJob's scoring produces from {@code schema}; fails naming the column that is wrong. */
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

    /** Sets every default of Chorus's own parameters (Spark's set theirs); each stage's constructor calls it. */
    static void setDefaults(ChorusEnsembleParams<?> p) {
        Table t = Table.of(p);
        p.setDefault(t.predictiveEntropyCol, PredictJob.Columns.DEFAULT.predictiveEntropy());
        p.setDefault(t.mutualInformationCol, PredictJob.Columns.DEFAULT.mutualInformation());
        p.setDefault(t.voteMarginCol, PredictJob.Columns.DEFAULT.voteMargin());
        p.setDefault(t.height, 28);
        p.setDefault(t.width, 28);
        p.setDefault(t.channels, 1);
        p.setDefault(t.featureRange, RANGE_255);
        p.setDefault(t.combiner, "average");
        p.setDefault(t.calibrated, false);
        p.setDefault(t.batchSize, 256);
        p.setDefault(t.overwrite, false);
        p.setDefault(t.jobConfig, "");
        p.setDefault(t.members, Keys.MEMBERS.defaultValue());
        p.setDefault(t.epochs, Keys.TRAIN_EPOCHS.defaultValue());
        p.setDefault(t.seed, Keys.SEED.defaultValue());
        p.setDefault(t.arch, Keys.MODEL_ARCH.defaultValue().configName());
        p.setDefault(t.testFraction, 0.05);
        p.setDefault(t.validationFraction, 0.05);
    }

    /**
     * A validator that, for a value {@code ok} refuses, throws naming the parameter, the value and
     * {@code expected} (Spark's own message names neither what is allowed nor why).
     */
    @SuppressWarnings("unchecked")
    static <A, V> Function1<A, Object> valid(String name, String expected, java.util.function.Predicate<V> ok) {
        return v -> {
            if (v == null || !ok.test((V) v)) {
                throw new IllegalArgumentException(name + ": " + (v instanceof String ? "\"" + v + "\"" : v)
                        + " is not valid; expected " + expected);
            }
            return true;
        };
    }

    /** One stage's Param objects. */
    final class Table {
        private static final Map<Params, Table> TABLES = Collections.synchronizedMap(new WeakHashMap<>());

        final Param<String> predictiveEntropyCol;
        final Param<String> mutualInformationCol;
        final Param<String> voteMarginCol;
        final IntParam height;
        final IntParam width;
        final IntParam channels;
        final Param<String> featureRange;
        final Param<String> combiner;
        final BooleanParam calibrated;
        final IntParam batchSize;
        final Param<String> runDir;
        final BooleanParam overwrite;
        final Param<String> jobConfig;
        final IntParam members;
        final IntParam epochs;
        final LongParam seed;
        final Param<String> arch;
        final DoubleParam testFraction;
        final DoubleParam validationFraction;

        static Table of(Params owner) {
            return TABLES.computeIfAbsent(owner, Table::new);
        }

        private Table(Params o) {
            predictiveEntropyCol = column(o, "predictiveEntropyCol", "entropy of the combined probabilities (nats)");
            mutualInformationCol = column(o, "mutualInformationCol", "predictive entropy minus the members' mean "
                    + "entropy: how much the members disagree (nats)");
            voteMarginCol = column(o, "voteMarginCol", "share of members voting for the top class minus the runner-up's");
            height = new IntParam(o, "height", "image height in pixels", valid("height", "at least 1", (Integer v) -> v >= 1));
            width = new IntParam(o, "width", "image width in pixels", valid("width", "at least 1", (Integer v) -> v >= 1));
            channels = new IntParam(o, "channels", "image channels", valid("channels", "1 to 4",
                    (Integer v) -> v >= 1 && v <= 4));
            featureRange = new Param<>(o, "featureRange", "range of featuresCol's values: " + RANGE_255 + " (raw pixels, as "
                    + "IDX files and Spark's image schema hold them) or " + RANGE_1 + " (scaled; multiplied by 255 "
                    + "before use)", valid("featureRange", "one of " + RANGE_255 + ", " + RANGE_1,
                    (String s) -> RANGE_255.equals(s) || RANGE_1.equals(s)));
            combiner = new Param<>(o, "combiner", "how the networks are combined: " + String.join(", ",
                    EnsembleSpec.COMBINERS), valid("combiner", "one of " + String.join(", ", EnsembleSpec.COMBINERS),
                    (String s) -> EnsembleSpec.COMBINERS.contains(s)));
            calibrated = new BooleanParam(o, "calibrated", "scale the combiner's probabilities with the temperature "
                    + "the run's evaluation fitted for it on the validation split (eval/metrics.json "
                    + "temperature_scaled; none for vote and swa); predictions do not change");
            batchSize = new IntParam(o, "batchSize", "images per forward pass when transforming",
                    valid("batchSize", "at least 1", (Integer v) -> v >= 1));
            runDir = new Param<>(o, "runDir", "for fit, the parent directory (any Hadoop URI) under which every fit "
                    + "writes a new run, named fit-<time>-<uid>-<hash of the parameters>; for a model, the run it "
                    + "comes from", valid("runDir", "a directory (any Hadoop URI)", (String s) -> s != null && !s.isBlank()));
            overwrite = new BooleanParam(o, "overwrite", "no longer used (every fit writes a new run under runDir); kept "
                    + "so that estimators saved with it load");
            jobConfig = new Param<>(o, "jobConfig", "Chorus job configuration (YAML text, the keys of conf/*.yaml) for "
                    + "every setting without a parameter of its own; data.dir and data.classes come from the DataFrame",
                    valid("jobConfig", "YAML text (may be empty)", (String s) -> s != null));
            members = keyed(o, "members", Keys.MEMBERS);
            epochs = keyed(o, "epochs", Keys.TRAIN_EPOCHS);
            seed = new LongParam(o, "seed", Keys.SEED.doc());
            String arches = java.util.Arrays.stream(io.chorus.worker.zoo.Architecture.values())
                    .map(io.chorus.worker.zoo.Architecture::configName).collect(java.util.stream.Collectors.joining(", "));
            arch = new Param<>(o, "arch", Keys.MODEL_ARCH.doc(), valid("arch", "one of " + arches,
                    (String s) -> Keys.MODEL_ARCH.accepts(s)));
            testFraction = new DoubleParam(o, "testFraction", "fraction of fit's rows held out (by the seed) as the "
                    + "run's test split for the evaluation and the report",
                    valid("testFraction", "a fraction in (0, 1)", (Double v) -> v > 0 && v < 1));
            validationFraction = new DoubleParam(o, "validationFraction", "fraction of fit's remaining rows the members "
                    + "hold out (by the seed) for validation: the job key data.validation, unless jobConfig sets it",
                    valid("validationFraction", "a fraction in (0, 1)", (Double v) -> v > 0 && v < 1));
        }

        private static Param<String> column(Params o, String name, String doc) {
            return new Param<>(o, name, "column: " + doc, valid(name, "a column name", (String s) -> s != null && !s.isBlank()));
        }

        private static IntParam keyed(Params o, String name, ConfigKey<Integer> key) {
            return new IntParam(o, name, key.doc() + " (job configuration key " + key.name() + ")", (Object v) -> {
                String problem = key.problem(v);
                if (problem != null) {
                    throw new IllegalArgumentException(name + ": " + problem);
                }
                return true;
            });
        }
    }
}
