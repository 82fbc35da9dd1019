package io.chorus.driver.ml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import org.apache.commons.io.FileUtils;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.attribute.Attribute;
import org.apache.spark.ml.attribute.AttributeGroup;
import org.apache.spark.ml.attribute.NominalAttribute;
import org.apache.spark.ml.evaluation.BinaryClassificationEvaluator;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamPair;
import org.apache.spark.ml.tuning.CrossValidator;
import org.apache.spark.ml.tuning.CrossValidatorModel;
import org.apache.spark.ml.tuning.ParamGridBuilder;
import org.apache.spark.ml.tuning.TrainValidationSplit;
import org.apache.spark.ml.tuning.TrainValidationSplitModel;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.chorus.driver.eval.TinyRun;
import io.chorus.worker.data.DataFiles;
import io.chorus.worker.data.ImageData;
import io.chorus.worker.fs.Json;

/**
 * Spark ML's conventions, tested the way Spark tests its own classifiers (MLTestingUtils.checkCopyAndUids, the
 * default read/write round trip with every parameter, tuning): through real Spark (local[2]) on a two-class
 * subset of Fashion-MNIST (T-shirt against trouser) with one-epoch LeNets. A CrossValidator (members 1 and 2,
 * two folds, parallelism 2, sub-models kept) and a TrainValidationSplit (parallelism 2, sub-models kept):
 * every fit has its own run under runDir, and every sub-model still transforms after all were fitted, also once
 * its run directory is deleted; BinaryClassificationEvaluator reads rawPrediction. On the shared tiny run
 * (no training): prediction metadata, numClasses, predict/predictRaw/predictProbability on one Vector against
 * transform, thresholds, {@code transform(df, paramMap)}, the range check of scaled features, validators.
 */
class SparkConventionsTest {
    static final String FASHION = ChorusEnsembleTest.FASHION;
    static final Configuration CONF = new Configuration();
    static final String SMALL = "train:\n  batch: 32\nreport:\n  enabled: false\nevaluate:\n  tasks: 2\n";
    static SparkSession spark;
    static File tiny;
    static ImageData test;

    @TempDir
    File tmp;

    @BeforeAll
    static void start() throws IOException {
        tiny = TinyRun.get().dir();
        test = DataFiles.loadTest(FASHION, 10, CONF);
        spark = ChorusEnsembleTest.localSpark("chorus-ml-conventions");
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    /** The first {@code n} T-shirts and trousers (labels 0 and 1) of {@code images}, label a double. */
    static Dataset<Row> twoClasses(ImageData images, int n) {
        return FashionMnistPipeline.frame(spark, images).where("fashion_label < 2").limit(n)
                .withColumn("label", functions.col("fashion_label").cast("double")).cache();
    }

    static Dataset<Row> frame(ImageData images, int n) {
        return FashionMnistPipeline.frame(spark, images.limit(n));
    }

    /** A run directory URI of a model as a local file. */
    static File local(String runDir) {
        return new File(new org.apache.hadoop.fs.Path(runDir).toUri().getPath());
    }

    static List<String> runs(File parent) {
        String[] names = parent.list();
        List<String> out = names == null ? new ArrayList<>() : new ArrayList<>(Arrays.asList(names));
        out.sort(null);
        return out;
    }

    /** MLTestingUtils.checkCopyAndUids, as Spark's own tests call it. */
    static void checkCopyAndUids(ChorusEnsembleClassifier estimator, Model<?> model) {
        assertEquals(estimator.uid(), model.uid(), "the model's uid is its estimator's");
        Model<?> copied = (Model<?>) model.copy(ParamMap.empty());
        assertSame(model.parent(), copied.parent(), "a copy has the same parent");
        assertEquals(model.parent().uid(), copied.parent().uid());
    }

    /** Transforms with the model and checks the classifier's columns on every row. */
    static double accuracy(Model<?> model, Dataset<Row> data) {
        Dataset<Row> scored = model.transform(data).cache();
        for (Row r : scored.collectAsList()) {
            Vector p = r.getAs("probability");
            Vector raw = r.getAs("rawPrediction");
            assertEquals(p.argmax(), (int) r.getDouble(r.fieldIndex("prediction")));
            for (int k = 0; k < p.size(); k++) {
                assertEquals(Math.max(ChorusEnsembleModel.LOG_FLOOR, Math.log(p.apply(k))), raw.apply(k), 1e-12);
            }
        }
        return new MulticlassClassificationEvaluator().setMetricName("accuracy").evaluate(scored);
    }

    /** The probabilities of {@code data}'s rows, by index. */
    static List<Vector> probabilities(Model<?> model, Dataset<Row> data) {
        return ChorusEnsembleTest.byIndex(model.transform(data)).stream().map(r -> (Vector) r.getAs("probability")).toList();
    }

    @Test
    void tuningFitsEveryModelIntoItsOwnRunAndEverySubModelKeepsWorking() throws IOException {
        ImageData trainImages = DataFiles.loadTrain(FASHION, 10, CONF).limit(1200);
        Dataset<Row> train = twoClasses(trainImages, 240);
        Dataset<Row> holdout = twoClasses(test, 100);
        File parent = new File(tmp, "runs");
        ChorusEnsembleClassifier chorus = new ChorusEnsembleClassifier().setRunDir(parent.getAbsolutePath())
                .setEpochs(1).setSeed(3).setJobConfig(SMALL);
        ParamMap[] grid = new ParamGridBuilder().addGrid(chorus.members(), new int[] {1, 2}).build();

        long t0 = System.nanoTime();
        CrossValidatorModel cv = new CrossValidator().setEstimator(chorus).setEstimatorParamMaps(grid).setNumFolds(2)
                .setEvaluator(new MulticlassClassificationEvaluator().setMetricName("accuracy")).setSeed(7)
                .setParallelism(2).setCollectSubModels(true).fit(train);
        System.out.printf("CrossValidator: 2 folds x 2 param maps + the refit in %.1f s; avgMetrics %s%n",
                (System.nanoTime() - t0) / 1e9, Arrays.toString(cv.avgMetrics()));
        List<String> cvRuns = runs(parent);
        assertEquals(5, cvRuns.size(), "one run per fit, 2 x 2 folds and the best model's refit: " + cvRuns);
        for (String r : cvRuns) {
            assertTrue(r.startsWith("fit-") && new File(parent, r + "/run.json").isFile(), r);
        }
        for (double m : cv.avgMetrics()) {
            assertTrue(m > 0.6, "accuracy on the folds, T-shirt against trouser: " + Arrays.toString(cv.avgMetrics()));
        }
        ChorusEnsembleModel best = (ChorusEnsembleModel) cv.bestModel();
        checkCopyAndUids(chorus, best);
        assertEquals(2, best.numClasses());

        // Every sub-model transforms after the others were fitted, also once its run is gone, with the networks
        // of its own run: its probabilities are those of the run read back from its files.
        Model<?>[][] sub = cv.subModels();
        List<List<Vector>> expected = new ArrayList<>();
        for (Model<?>[] fold : sub) {
            for (Model<?> m : fold) {
                assertTrue(((ChorusEnsembleModel) m).ownsNetworks());
                expected.add(probabilities(ChorusEnsembleModel.load(((ChorusEnsembleModel) m).getRunDir()), holdout));
            }
        }
        ChorusEnsembleModel one = (ChorusEnsembleModel) sub[0][0];
        assertEquals(1, one.getMembers(), "the grid's members=1 is a valid ensemble of one");
        assertTrue(one.combiners().containsAll(List.of("average", "vote")), one.combiners().toString());
        var metrics = Json.MAPPER.readTree(new File(local(one.getRunDir()), "eval/metrics.json"));
        assertTrue(metrics.get("notes").toString().contains("one finished member"), metrics.get("notes").toString());
        FileUtils.deleteDirectory(local(one.getRunDir()));
        assertFalse(local(one.getRunDir()).exists());
        int k = 0;
        for (Model<?>[] fold : sub) {
            for (Model<?> m : fold) {
                accuracy(m, holdout);
                List<Vector> p = probabilities(m, holdout);
                for (int i = 0; i < p.size(); i++) {
                    assertArrayEquals(expected.get(k).get(i).toArray(), p.get(i).toArray(), 1e-6, m + " row " + i);
                }
                k++;
            }
        }
        assertTrue(accuracy(best, holdout) > 0.8, "the best model, members=2: " + accuracy(best, holdout));

        // BinaryClassificationEvaluator reads rawPrediction of the two classes.
        double auc = new BinaryClassificationEvaluator().setMetricName("areaUnderROC").evaluate(best.transform(holdout));
        assertTrue(auc > 0.8, "area under ROC: " + auc);

        // TrainValidationSplit, in parallel, sub-models kept; saved with them, loaded, still the same.
        File tvsParent = new File(tmp, "tvs");
        ChorusEnsembleClassifier tvsChorus = chorus.copy(ParamMap.empty()).setRunDir(tvsParent.getAbsolutePath());
        ParamMap[] seeds = new ParamGridBuilder().addGrid(tvsChorus.seed(), new long[] {3, 4}).build();
        t0 = System.nanoTime();
        TrainValidationSplitModel tvs = new TrainValidationSplit().setEstimator(tvsChorus).setEstimatorParamMaps(seeds)
                .setTrainRatio(0.75).setEvaluator(new MulticlassClassificationEvaluator().setMetricName("accuracy"))
                .setSeed(7).setParallelism(2).setCollectSubModels(true).fit(train);
        System.out.printf("TrainValidationSplit: 2 param maps + the refit in %.1f s; validationMetrics %s%n",
                (System.nanoTime() - t0) / 1e9, Arrays.toString(tvs.validationMetrics()));
        assertEquals(3, runs(tvsParent).size(), runs(tvsParent).toString());
        List<Double> before = new ArrayList<>();
        for (Model<?> m : tvs.subModels()) {
            before.add(accuracy(m, holdout));
        }
        String saved = new File(tmp, "tvs-model").getAbsolutePath();
        tvs.write().option("persistSubModels", "true").save(saved);
        FileUtils.deleteDirectory(tvsParent);
        TrainValidationSplitModel loaded = TrainValidationSplitModel.load(saved);
        for (int i = 0; i < before.size(); i++) {
            assertEquals(before.get(i), accuracy(loaded.subModels()[i], holdout), 1e-12, "sub-model " + i + " after loading");
        }
        assertEquals(tvs.bestModel().uid(), loaded.bestModel().uid());
    }

    @Test
    void aFitThatFailsItsChecksLeavesNothing() {
        // 4x4 images pass the column checks but not the data's (at least 8x8): refused before anything is written.
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            double[] px = new double[16];
            Arrays.fill(px, 10 * (i % 2));
            rows.add(RowFactory.create(Vectors.dense(px), (double) (i % 2)));
        }
        Dataset<Row> small = spark.createDataFrame(rows, DataTypes.createStructType(List.of(
                DataTypes.createStructField("features", SQLDataTypes.VectorType(), false),
                DataTypes.createStructField("label", DataTypes.DoubleType, false))));
        File parent = new File(tmp, "refused");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ChorusEnsembleClassifier()
                .setRunDir(parent.getAbsolutePath()).setHeight(4).setWidth(4).setMembers(1).setEpochs(1).fit(small));
        assertTrue(e.getMessage().contains("8x8"), e.getMessage());
        assertFalse(parent.exists(), "nothing written: " + runs(parent));
    }

    @Test
    void theModelIsAProbabilisticClassificationModel() throws IOException {
        ChorusEnsembleModel model = ChorusEnsembleModel.load(tiny.getAbsolutePath());
        Dataset<Row> frame = frame(test, 40);
        assertEquals(10, model.numClasses());
        assertEquals(784, model.numFeatures());
        Dataset<Row> scored = model.transform(frame).cache();
        Attribute prediction = Attribute.fromStructField(scored.schema().apply("prediction"));
        assertTrue(prediction instanceof NominalAttribute, prediction.toString());
        assertEquals(10, (int) ((NominalAttribute) prediction).getNumValues().get());
        assertEquals(10, AttributeGroup.fromStructField(scored.schema().apply("probability")).size());
        assertEquals(10, AttributeGroup.fromStructField(scored.schema().apply("rawPrediction")).size());
        assertEquals(scored.schema(), model.transformSchema(frame.schema()), "transformSchema says what transform gives");

        List<Row> rows = ChorusEnsembleTest.byIndex(scored);
        for (Row r : rows.subList(0, 5)) {
            Vector x = r.getAs("features");
            Vector p = r.getAs("probability");
            assertArrayEquals(p.toArray(), model.predictProbability(x).toArray(), 1e-5, "one Vector on the driver");
            assertArrayEquals(((Vector) r.getAs("rawPrediction")).toArray(), model.predictRaw(x).toArray(), 1e-4);
            assertArrayEquals(p.toArray(), model.raw2probability(model.predictRaw(x)).toArray(), 1e-5);
            assertEquals(r.getDouble(r.fieldIndex("prediction")), model.predict(x));
        }

        // thresholds as in Spark: a 0 wins outright.
        double[] t = new double[10];
        Arrays.fill(t, 1.0);
        t[7] = 0.0;
        ChorusEnsembleModel thresholded = model.copy(ParamMap.empty()).setThresholds(t);
        for (Row r : thresholded.transform(frame).collectAsList()) {
            assertEquals(7.0, r.getDouble(r.fieldIndex("prediction")));
        }
        assertEquals(7.0, thresholded.predict((Vector) rows.get(0).getAs("features")));
        IllegalArgumentException wrong = assertThrows(IllegalArgumentException.class,
                () -> model.copy(ParamMap.empty()).setThresholds(new double[] {0.5, 0.5}).transform(frame));
        assertTrue(wrong.getMessage().contains("numClasses=10"), wrong.getMessage());

        // transform(df, paramMap) is honoured and leaves the model as it was.
        Dataset<Row> renamed = model.transform(frame, ParamMap.empty().put(new ParamPair<>(model.predictionCol(), "p2"))
                .put(new ParamPair<>(model.rawPredictionCol(), "")));
        assertTrue(Arrays.asList(renamed.columns()).contains("p2"), Arrays.toString(renamed.columns()));
        assertFalse(Arrays.asList(renamed.columns()).contains("prediction"));
        assertFalse(Arrays.asList(renamed.columns()).contains("rawPrediction"), "an empty rawPredictionCol is left out");
        assertEquals("prediction", model.getPredictionCol());
    }

    @Test
    void scaledFeaturesAreNoticedOrDeclared() throws IOException {
        ChorusEnsembleModel model = ChorusEnsembleModel.load(tiny.getAbsolutePath());
        Dataset<Row> frame = frame(test, 30);
        org.apache.spark.sql.api.java.UDF1<Vector, Vector> down = v -> {
            double[] x = v.toArray().clone();
            for (int i = 0; i < x.length; i++) {
                x[i] /= 255;
            }
            return Vectors.dense(x);
        };
        Dataset<Row> scaled = frame.withColumn("features", functions.udf(down, SQLDataTypes.VectorType())
                .apply(functions.col("features")));
        Optional<String> warning = Features.rangeWarning(scaled, "features", false);
        assertTrue(warning.isPresent(), "scaled features are noticed");
        assertTrue(warning.get().contains("column features") && warning.get().contains("0..255")
                && warning.get().contains("setFeatureRange(\"0..1\")"), warning.get());
        assertEquals(Optional.empty(), Features.rangeWarning(frame, "features", false), "raw pixels are not");

        List<Row> raw = ChorusEnsembleTest.byIndex(model.transform(frame));
        List<Row> declared = ChorusEnsembleTest.byIndex(model.copy(ParamMap.empty()).setFeatureRange("0..1")
                .transform(scaled));
        for (int i = 0; i < raw.size(); i++) {
            assertArrayEquals(((Vector) raw.get(i).getAs("probability")).toArray(),
                    ((Vector) declared.get(i).getAs("probability")).toArray(), 1e-6, "row " + i);
        }
        Vector firstScaled = ChorusEnsembleTest.byIndex(scaled).get(0).getAs("features");
        assertEquals(firstScaled, declared.get(0).getAs("features"), "the input column is passed through as it was");
        IllegalArgumentException badRange = assertThrows(IllegalArgumentException.class,
                () -> model.setFeatureRange("0..2"));
        assertTrue(badRange.getMessage().contains("featureRange: \"0..2\" is not valid; expected one of 0..255, 0..1"),
                badRange.getMessage());
    }

    @Test
    void validatorsNameWhatIsAllowed() {
        ChorusEnsembleClassifier c = new ChorusEnsembleClassifier();
        assertMessage(() -> c.setArch("lenet5"), "arch: \"lenet5\" is not valid; expected one of lenet, alexnet, vgg, "
                + "googlenet, resnet");
        assertMessage(() -> c.setCombiner("median"), "combiner: \"median\" is not valid; expected one of average, vote");
        assertMessage(() -> c.setMembers(0), "members: must be");
        assertMessage(() -> c.setTestFraction(1.0), "testFraction: 1.0 is not valid; expected a fraction in (0, 1)");
        assertMessage(() -> c.setValidationFraction(0.0), "validationFraction: 0.0 is not valid");
        assertMessage(() -> c.setChannels(5), "channels: 5 is not valid; expected 1 to 4");
        assertMessage(() -> c.setBatchSize(0), "batchSize: 0 is not valid; expected at least 1");
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable set, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, set);
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    /** Each parameter set to a value other than its default, as Spark's testDefaultReadWrite wants. */
    private static void setEveryParam(ChorusEnsembleParams<?> p) {
        p.setPredictiveEntropyCol("pe").setMutualInformationCol("mi").setVoteMarginCol("vm").setHeight(28).setWidth(28)
                .setChannels(1).setFeatureRange("0..1").setCombiner("vote").setBatchSize(64).setRunDir("/tmp/x")
                .setOverwrite(true).setJobConfig("model:\n  depth: 3\n").setMembers(3).setEpochs(4).setSeed(9)
                .setArch("resnet").setTestFraction(0.2).setValidationFraction(0.1);
        p.set(p.featuresCol(), "f");
        p.set(p.labelCol(), "l");
        p.set(p.predictionCol(), "pr");
        p.set(p.probabilityCol(), "pp");
    }

    private static void assertSameParams(org.apache.spark.ml.param.Params a, org.apache.spark.ml.param.Params b) {
        assertEquals(a.uid(), b.uid());
        for (Param<?> p : a.params()) {
            assertEquals(a.isSet(p), b.isSet(b.getParam(p.name())), p.name());
            if (a.isDefined(p)) {
                Object x = a.getOrDefault(p);
                Object y = b.getOrDefault(b.getParam(p.name()));
                if (x instanceof double[] d) {
                    assertArrayEquals(d, (double[]) y, p.name());
                } else {
                    assertEquals(x, y, p.name());
                }
            }
        }
    }

    @Test
    void everyParamHasAGetterAndSurvivesReadWrite() throws IOException {
        ChorusEnsembleClassifier c = new ChorusEnsembleClassifier();
        setEveryParam(c);
        c.setRawPredictionCol("rp").setThresholds(new double[] {0.5, 0.5});
        for (Param<?> p : c.params()) {
            assertTrue(c.isDefined(p) || p.name().equals("thresholds"), p.name() + " has a value");
            String getter = "get" + Character.toUpperCase(p.name().charAt(0)) + p.name().substring(1);
            try {
                assertEquals(c.getOrDefault(p) instanceof double[] ? null : c.getOrDefault(p),
                        c.getOrDefault(p) instanceof double[] ? null : c.getClass().getMethod(getter).invoke(c), getter);
            } catch (ReflectiveOperationException e) {
                throw new AssertionError(p.name() + " has no getter " + getter, e);
            }
        }
        String path = new File(tmp, "estimator").getAbsolutePath();
        c.write().save(path);
        assertSameParams(c, ChorusEnsembleClassifier.load(path));

        ChorusEnsembleModel model = ChorusEnsembleModel.load(tiny.getAbsolutePath());
        setEveryParam(model);
        model.setRawPredictionCol("rp").setThresholds(new double[] {1, 1, 1, 1, 1, 1, 1, 1, 1, 0.5});
        String modelPath = new File(tmp, "model").getAbsolutePath();
        model.write().save(modelPath);
        ChorusEnsembleModel back = ChorusEnsembleModel.load(modelPath);
        assertSameParams(model, back);
        assertEquals(model.combiners(), back.combiners());
        assertNotEquals(model.provenanceDir(), back.provenanceDir(), "the saved model reads its own copies");
    }
}
