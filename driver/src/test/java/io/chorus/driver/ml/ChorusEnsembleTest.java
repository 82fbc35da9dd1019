package io.chorus.driver.ml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import javax.imageio.ImageIO;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.feature.SQLTransformer;
import org.apache.spark.ml.feature.StringIndexer;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.chorus.driver.eval.ProbsCsv;
import io.chorus.driver.eval.TinyRun;
import io.chorus.driver.predict.EnsembleSpec;
import io.chorus.ensemble.calibrate.Temperature;
import io.chorus.worker.data.DataFiles;
import io.chorus.worker.data.ImageData;
import io.chorus.worker.fs.Json;

/**
 * The Spark ML pair through real Spark (local[2]): a Pipeline of Spark's StringIndexer, a
 * ChorusEnsembleClassifier that trains two tiny LeNets, and an SQLTransformer; fit, transform, the
 * MulticlassClassificationEvaluator, save and load (predictions equal after loading, no overwrite unless
 * asked); on the shared tiny evaluated run, transform's probabilities equal the evaluation's cached ones for
 * every combiner, and Spark's image schema scores like pixel vectors; bad parameters and input are named.
 */
class ChorusEnsembleTest {
    static final String FASHION = "/usr/share/datasets/fashion-mnist";
    static final Configuration CONF = new Configuration();
    static SparkSession spark;
    static File tiny;
    static ImageData test;

    @TempDir
    File tmp;

    @BeforeAll
    static void start() throws IOException {
        tiny = TinyRun.get().dir(); // trained first: one SparkContext per JVM, and TinyRun's is stopped by now
        test = DataFiles.loadTest(FASHION, 10, CONF);
        spark = localSpark("chorus-ml-test");
    }

    /** A local[2] SparkSession on the loopback interface, without UI. */
    static SparkSession localSpark(String app) {
        return SparkSession.builder().master("local[2]").appName(app).config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    /** Rows (index, name, fashion_label, features) of {@code images}' first {@code n}. */
    static Dataset<Row> frame(ImageData images, int n) {
        return FashionMnistPipeline.frame(spark, images.limit(n));
    }

    static List<Row> byIndex(Dataset<Row> scored) {
        List<Row> rows = new ArrayList<>(scored.collectAsList());
        rows.sort(Comparator.comparingLong(r -> r.getLong(r.fieldIndex("index"))));
        return rows;
    }

    @Test
    void pipelineFitsTransformsSavesAndLoads() throws IOException {
        ImageData train = DataFiles.loadTrain(FASHION, 10, CONF);
        String parentDir = new File(tmp, "runs").getAbsolutePath();
        ChorusEnsembleClassifier chorus = new ChorusEnsembleClassifier().setRunDir(parentDir).setMembers(2).setEpochs(2)
                .setSeed(11).setTestFraction(0.2)
                .setJobConfig("data:\n  validation: 200\nmodel:\n  batchnorm: true\ntrain:\n  batch: 50\n  lr: 0.02\n  schedule: cyclic\n  cycles: 2\nswa:\n  start: 0.5\n"
                        + "  every: 1\nheads:\n  count: 2\n  epochs: 1\n  hidden: 32\nevaluate:\n  tasks: 2\n");
        Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {
            new StringIndexer().setInputCol("name").setOutputCol("label").setStringOrderType("alphabetAsc"),
            chorus,
            new SQLTransformer().setStatement("SELECT *, CAST(prediction = label AS INT) AS correct FROM __THIS__")});
        PipelineModel fitted = pipeline.fit(frame(train, 1200));

        ChorusEnsembleModel model = (ChorusEnsembleModel) fitted.stages()[1];
        assertEquals(2, model.getMembers(), "the model carries the configuration it was trained with");
        assertEquals(2, model.getEpochs());
        assertEquals(11L, model.getSeed());
        assertTrue(model.getJobConfig().contains("validation: 200"), model.getJobConfig());
        Path run = new Path(model.getRunDir());
        assertEquals(new Path(parentDir).toUri().getPath(), run.getParent().toUri().getPath(), "the fit's run is under runDir");
        assertTrue(run.getName().startsWith("fit-") && run.getName().contains(chorus.uid().substring(
                chorus.uid().lastIndexOf('_') + 1)), run.getName());
        String runDir = run.toUri().getPath();
        assertEquals(chorus, model.parent());
        assertEquals(chorus.uid(), model.uid(), "Spark's convention: a model has its estimator's uid");
        assertTrue(model.ownsNetworks());
        assertEquals(List.of("average", "vote", "swa", "heads", "snapshot", "selection"), model.combiners());
        for (String f : List.of("run.json", "job.yaml", "eval/metrics.json", "report/index.html",
                "data/train-images-idx3-ubyte", "data/t10k-labels-idx1-ubyte")) {
            assertTrue(new File(runDir, f).isFile(), f + " in the run directory");
        }
        var metrics = Json.MAPPER.readTree(new File(runDir, "eval/metrics.json"));
        assertEquals(240, metrics.get("test_examples").asInt(), "testFraction 0.2 of 1,200 rows held out as the test split");

        Dataset<Row> labelled = fitted.stages()[0].transform(frame(test, 300));
        Dataset<Row> scored = fitted.transform(frame(test, 300)).cache();
        assertEquals(List.of("index", "name", "fashion_label", "features", "label", "prediction", "probability", "predictive_entropy",
                "mutual_information", "vote_margin", "rawPrediction", "correct"), List.of(scored.columns()));
        List<Row> rows = byIndex(scored);
        int correct = 0;
        for (Row r : rows) {
            double label = r.getDouble(r.fieldIndex("label"));
            double prediction = r.getDouble(r.fieldIndex("prediction"));
            Vector p = r.getAs("probability");
            assertEquals(1.0, java.util.Arrays.stream(p.toArray()).sum(), 1e-5);
            assertEquals(p.argmax(), (int) prediction);
            double mi = r.getDouble(r.fieldIndex("mutual_information"));
            assertTrue(mi >= 0 && mi <= r.getDouble(r.fieldIndex("predictive_entropy")) + 1e-12, "0 <= MI <= entropy");
            correct += label == prediction ? 1 : 0;
            assertEquals(label == prediction ? 1 : 0, r.getInt(r.fieldIndex("correct")), "the next stage sees the columns");
        }
        double accuracy = new MulticlassClassificationEvaluator().setMetricName("accuracy").evaluate(scored);
        assertEquals(correct / 300.0, accuracy, 1e-12, "Spark's evaluator reads Chorus's columns");
        assertTrue(accuracy > 0.5, "two LeNets after two epochs on 760 images: " + accuracy
                + "; the run's evaluation: " + metrics);
        assertEquals(300, labelled.count());

        String saved = new File(tmp, "pipeline").getAbsolutePath();
        fitted.write().save(saved);
        IOException refused = assertThrows(IOException.class, () -> fitted.write().save(saved));
        assertTrue(refused.getMessage().contains("overwrite"), refused.getMessage());
        fitted.write().overwrite().save(saved);
        PipelineModel loaded = PipelineModel.load(saved);
        ChorusEnsembleModel loadedModel = (ChorusEnsembleModel) loaded.stages()[1];
        assertEquals(model.uid(), loadedModel.uid());
        assertEquals(model.getJobConfig(), loadedModel.getJobConfig());
        assertEquals(model.combiners(), loadedModel.combiners());
        assertTrue(new File(saved, "stages/1_" + model.uid() + "/chorus/run/run.json").isFile(), "provenance saved");
        List<Row> again = byIndex(loaded.transform(frame(test, 300)));
        for (int i = 0; i < rows.size(); i++) {
            assertEquals(rows.get(i).getDouble(5), again.get(i).getDouble(5), "prediction of row " + i);
            assertArrayEquals(((Vector) rows.get(i).getAs("probability")).toArray(),
                    ((Vector) again.get(i).getAs("probability")).toArray(), 0.0, "probability of row " + i);
        }

        // Another combiner on the loaded model, and the run directory itself as a model: the same answers.
        List<Row> vote = byIndex(loadedModel.copy(new org.apache.spark.ml.param.ParamMap()).setCombiner("vote")
                .transform(labelled));
        List<Row> voteFromRun = byIndex(ChorusEnsembleModel.load(runDir).setCombiner("vote").transform(labelled));
        for (int i = 0; i < vote.size(); i++) {
            assertArrayEquals(((Vector) vote.get(i).getAs("probability")).toArray(),
                    ((Vector) voteFromRun.get(i).getAs("probability")).toArray(), 0.0, "vote of row " + i);
            assertEquals(vote.get(i).getDouble(vote.get(i).fieldIndex("vote_margin")),
                    voteFromRun.get(i).getDouble(voteFromRun.get(i).fieldIndex("vote_margin")));
        }

        // A corrupted network in the saved model is refused on load, naming the file.
        File zip = Files.list(new File(saved, "stages/1_" + model.uid() + "/chorus/models").toPath())
                .findFirst().orElseThrow().toFile();
        byte[] bytes = Files.readAllBytes(zip.toPath());
        bytes[bytes.length / 2] ^= 1;
        Files.write(zip.toPath(), bytes);
        IllegalArgumentException corrupt = assertThrows(IllegalArgumentException.class,
                () -> ChorusEnsembleModel.load(new File(saved, "stages/1_" + model.uid()).getAbsolutePath()));
        assertTrue(corrupt.getMessage().contains(zip.getName()) && corrupt.getMessage().contains("corrupt"),
                corrupt.getMessage());
    }

    @Test
    void transformEqualsTheEvaluationsProbabilitiesForEveryCombiner() throws IOException {
        ChorusEnsembleModel model = ChorusEnsembleModel.load(tiny.getAbsolutePath());
        int n = Json.MAPPER.readTree(new File(tiny, "eval/metrics.json")).get("test_examples").asInt();
        Dataset<Row> frame = frame(test, n).cache();
        FileSystem fs = FileSystem.getLocal(CONF).getRaw();
        for (String combiner : model.combiners()) {
            EnsembleSpec spec = model.setCombiner(combiner).ensemble();
            List<double[][]> members = new ArrayList<>();
            for (EnsembleSpec.Model m : spec.models()) {
                members.add(ProbsCsv.read(fs, new Path(tiny.getAbsolutePath(), "eval/probs/" + m.id() + ".csv")).p());
            }
            double[][] expected = spec.combiner().combine(members);
            List<Row> rows = byIndex(model.setBatchSize(128).transform(frame));
            assertEquals(n, rows.size());
            for (int i = 0; i < n; i++) {
                assertArrayEquals(expected[i], ((Vector) rows.get(i).getAs("probability")).toArray(), 1e-6,
                        combiner + " row " + i);
            }
        }
        assertEquals(6, model.combiners().size(), "the tiny run built every combiner");
    }

    /**
     * {@code calibrated}: transform scales the combiner's probabilities with the temperature metrics.json has
     * for it (rawPrediction follows, the prediction does not change); a saved model keeps the parameter, the
     * temperature and its metadata says both; a combiner without a temperature is refused, naming it.
     */
    @Test
    void calibratedScalesWithTheEvaluationsTemperature() throws IOException {
        ChorusEnsembleModel model = ChorusEnsembleModel.load(tiny.getAbsolutePath()).setCombiner("heads");
        assertFalse(model.getCalibrated(), "off by default");
        assertTrue(model.temperature().isEmpty());
        double t = -1;
        for (com.fasterxml.jackson.databind.JsonNode e : Json.MAPPER.readTree(new File(tiny, "eval/metrics.json"))
                .get("ensembles")) {
            t = e.get("name").asText().equals("heads") ? e.get("temperature_scaled").get("temperature").asDouble() : t;
        }
        int n = 40;
        Dataset<Row> frame = frame(test, n).cache();
        List<Row> plain = byIndex(model.transform(frame));
        model.setCalibrated(true);
        assertEquals(t, model.temperature().getAsDouble(), 0.0);
        assertTrue(model.toString().contains("heads (calibrated)"), model.toString());
        List<Row> calibrated = byIndex(model.transform(frame));
        for (int i = 0; i < n; i++) {
            double[] p = ((Vector) plain.get(i).getAs("probability")).toArray();
            double[] q = ((Vector) calibrated.get(i).getAs("probability")).toArray();
            assertArrayEquals(Temperature.apply(new double[][] {p}, t)[0], q, 1e-12, "row " + i);
            assertArrayEquals(ChorusEnsembleModel.logOf(q), ((Vector) calibrated.get(i).getAs("rawPrediction")).toArray(),
                    1e-12);
            assertEquals(plain.get(i).getDouble(plain.get(i).fieldIndex("prediction")),
                    calibrated.get(i).getDouble(calibrated.get(i).fieldIndex("prediction")), "row " + i);
        }
        assertArrayEquals(((Vector) calibrated.get(0).getAs("probability")).toArray(),
                model.predictProbability((Vector) frame.collectAsList().get(0).getAs("features")).toArray(), 1e-6,
                "one Vector on the driver is calibrated too");

        String path = new File(tmp, "calibrated-model").getAbsolutePath();
        model.write().save(path);
        String metadata = Files.readString(new File(path, "metadata/part-00000").toPath());
        assertTrue(metadata.contains("\"calibrated\":true") && metadata.contains("\"temperature\":" + t), metadata);
        ChorusEnsembleModel back = ChorusEnsembleModel.load(path);
        assertTrue(back.getCalibrated());
        assertEquals(t, back.temperature().getAsDouble(), 0.0);
        List<Row> again = byIndex(back.transform(frame));
        for (int i = 0; i < n; i++) {
            assertArrayEquals(((Vector) calibrated.get(i).getAs("probability")).toArray(),
                    ((Vector) again.get(i).getAs("probability")).toArray(), 1e-12, "loaded, row " + i);
        }

        model.setCombiner("vote");
        IllegalArgumentException vote = assertThrows(IllegalArgumentException.class, () -> model.transform(frame));
        assertTrue(vote.getMessage().startsWith("calibrated: ensemble vote cannot be calibrated")
                && vote.getMessage().contains("temperature_scaled.temperature"), vote.getMessage());
        assertTrue(new ChorusEnsembleClassifier().explainParams().contains("calibrated: scale the combiner's"));
        assertFalse(new ChorusEnsembleClassifier().getCalibrated());
    }

    @Test
    void sparkImageSchemaScoresLikePixelVectors() throws IOException {
        File images = new File(tmp, "png");
        images.mkdirs();
        int n = 12;
        for (int i = 0; i < n; i++) {
            BufferedImage img = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
            for (int y = 0; y < 28; y++) {
                for (int x = 0; x < 28; x++) {
                    int v = test.pixels()[i * 784 + y * 28 + x] & 0xff;
                    img.getRaster().setSample(x, y, 0, v);
                }
            }
            ImageIO.write(img, "png", new File(images, String.format("img-%03d.png", i)));
        }
        Dataset<Row> read = spark.read().format("image").load(images.getAbsolutePath());
        ChorusEnsembleModel model = ChorusEnsembleModel.load(tiny.getAbsolutePath()).setFeaturesCol("image");
        List<Row> fromImages = new ArrayList<>(model.transform(read).collectAsList());
        fromImages.sort(Comparator.comparing(r -> r.getStruct(0).getString(0)));
        List<Row> fromVectors = byIndex(model.setFeaturesCol("features").transform(frame(test, n)));
        assertEquals(n, fromImages.size());
        for (int i = 0; i < n; i++) {
            assertTrue(fromImages.get(i).getStruct(0).getString(0).endsWith(String.format("img-%03d.png", i)));
            assertArrayEquals(((Vector) fromVectors.get(i).getAs("probability")).toArray(),
                    ((Vector) fromImages.get(i).getAs("probability")).toArray(), 1e-6, "image " + i);
        }
    }

    @Test
    void badParametersAndInputAreNamed() throws IOException {
        ChorusEnsembleClassifier c = new ChorusEnsembleClassifier();
        assertThrows(IllegalArgumentException.class, () -> c.setCombiner("median"));
        assertThrows(IllegalArgumentException.class, () -> c.setMembers(0));
        assertThrows(IllegalArgumentException.class, () -> c.setArch("transformer"));
        assertThrows(IllegalArgumentException.class, () -> c.setTestFraction(1.0));
        assertTrue(c.explainParams().contains("combiner: how the networks are combined"), c.explainParams());

        Dataset<Row> frame = frame(test, 20).withColumn("label", org.apache.spark.sql.functions.lit(1));
        IllegalArgumentException noRunDir = assertThrows(IllegalArgumentException.class, () -> c.fit(frame));
        assertTrue(noRunDir.getMessage().startsWith("runDir"), noRunDir.getMessage());

        byte[] runJson = Files.readAllBytes(new File(tiny, "run.json").toPath());
        IllegalArgumentException occupied = assertThrows(IllegalArgumentException.class,
                () -> new ChorusEnsembleClassifier().setRunDir(tiny.getAbsolutePath()).fit(frame));
        assertTrue(occupied.getMessage().contains("is itself a Chorus run"), occupied.getMessage());
        assertArrayEquals(runJson, Files.readAllBytes(new File(tiny, "run.json").toPath()), "the run is untouched");

        String fresh = new File(tmp, "never").getAbsolutePath();
        IllegalArgumentException unknownKey = assertThrows(IllegalArgumentException.class,
                () -> new ChorusEnsembleClassifier().setRunDir(fresh).setJobConfig("train:\n  epoch: 3\n").fit(frame));
        assertTrue(unknownKey.getMessage().contains("train.epoch: unknown key"), unknownKey.getMessage());
        IllegalArgumentException noEval = assertThrows(IllegalArgumentException.class,
                () -> new ChorusEnsembleClassifier().setRunDir(fresh).setJobConfig("evaluate:\n  enabled: false\n").fit(frame));
        assertTrue(noEval.getMessage().contains("evaluate.enabled"), noEval.getMessage());
        IllegalArgumentException stringLabel = assertThrows(IllegalArgumentException.class,
                () -> new ChorusEnsembleClassifier().setRunDir(fresh).setLabelCol("name").fit(frame));
        assertTrue(stringLabel.getMessage().contains("StringIndexer"), stringLabel.getMessage());
        assertFalse(new File(fresh).exists(), "nothing written for a refused fit");

        ChorusEnsembleModel model = ChorusEnsembleModel.load(tiny.getAbsolutePath());
        IllegalArgumentException wrongType = assertThrows(IllegalArgumentException.class,
                () -> model.setFeaturesCol("name").transform(frame));
        assertTrue(wrongType.getMessage().contains("column name is string"), wrongType.getMessage());
        IllegalArgumentException wrongShape = assertThrows(IllegalArgumentException.class,
                () -> model.setFeaturesCol("features").setHeight(32).transform(frame));
        assertTrue(wrongShape.getMessage().contains("28x28x1"), wrongShape.getMessage());
        IllegalArgumentException neither = assertThrows(IllegalArgumentException.class,
                () -> ChorusEnsembleModel.load(tmp.getAbsolutePath()));
        assertTrue(neither.getMessage().contains("neither a saved ChorusEnsembleModel"), neither.getMessage());
    }

    @Test
    void theEstimatorSavesAndLoadsItsParameters() throws IOException {
        ChorusEnsembleClassifier c = new ChorusEnsembleClassifier().setMembers(7).setArch("resnet")
                .setJobConfig("model:\n  depth: 3\n").setCombiner("heads");
        String path = new File(tmp, "estimator").getAbsolutePath();
        c.write().save(path);
        ChorusEnsembleClassifier back = ChorusEnsembleClassifier.load(path);
        assertEquals(c.uid(), back.uid());
        assertEquals(7, back.getMembers());
        assertEquals("resnet", back.getArch());
        assertEquals("heads", back.getCombiner());
        assertEquals("model:\n  depth: 3\n", back.getJobConfig());
        assertEquals(io.chorus.driver.config.Keys.TRAIN_EPOCHS.defaultValue(), back.getEpochs(), "defaults stay defaults");
    }
}
