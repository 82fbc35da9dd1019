package io.chorus.driver.predict;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.chorus.driver.CliRun;
import io.chorus.driver.ExitCode;
import io.chorus.driver.eval.ProbsCsv;
import io.chorus.driver.eval.TinyRun;
import io.chorus.ensemble.Probabilities;
import io.chorus.ensemble.calibrate.Temperature;
import io.chorus.ensemble.combine.Average;
import io.chorus.ensemble.metrics.Metrics;
import io.chorus.worker.data.DataFiles;
import io.chorus.worker.data.IdxWriter;
import io.chorus.worker.data.ImageData;
import io.chorus.worker.fs.Json;

/**
 * {@code chorus predict} on the tiny evaluated run through Spark local[2]: IDX in, Parquet out with the
 * prediction, probability and uncertainty columns; the accuracy over the images the evaluation used equals
 * eval/metrics.json's; Parquet in works the same; bad arguments exit 2 without writing anything.
 */
class PredictTest {
    static final String TEST_IMAGES = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";
    static File run;
    static JsonNode metrics;

    @TempDir
    File tmp;

    @BeforeAll
    static void evaluatedRun() throws IOException {
        run = TinyRun.get().dir();
        metrics = Json.MAPPER.readTree(new File(run, "eval/metrics.json"));
    }

    private static double metricsAccuracy(String ensemble) {
        for (JsonNode e : metrics.get("ensembles")) {
            if (e.get("name").asText().equals(ensemble)) {
                return e.get("test").get("accuracy").asDouble();
            }
        }
        throw new AssertionError("no ensemble " + ensemble);
    }

    @Test
    void idxInParquetOutWithTheEvaluationsAccuracy() throws IOException {
        File out = new File(tmp, "scored");
        CliRun r = CliRun.of("predict", run.getAbsolutePath(), "--input", TEST_IMAGES, "--output", out.getAbsolutePath(),
                "--ensemble", "average", "--master", "local[2]", "--conf", "spark.ui.enabled=false");
        assertEquals(ExitCode.SUCCESS, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("10000 rows scored with average (2 model(s))"), r.out());

        File parquetIn = new File(tmp, "first-200");
        List<Row> first;
        try (SparkSession spark = SparkSession.builder().master("local[1]").config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1").getOrCreate()) {
            Dataset<Row> scored = spark.read().parquet(out.getAbsolutePath());
            assertEquals(List.of("index", "label", "prediction", "probability", "predictive_entropy",
                    "mutual_information", "vote_margin"), List.of(scored.columns()), "IDX in: the pixels stay in the file");
            assertEquals(10000, scored.count());
            int n = metrics.get("test_examples").asInt();
            first = new java.util.ArrayList<>(scored.where("index < " + n).collectAsList());
            first.sort(java.util.Comparator.comparingLong(x -> x.getLong(0)));
            long correct = first.stream().filter(x -> x.getInt(2) == x.getInt(1)).count();
            assertEquals(metricsAccuracy("average"), correct / (double) n, 1e-12);
            for (Row x : first.subList(0, 50)) {
                Vector p = x.getAs("probability");
                assertEquals(1.0, java.util.Arrays.stream(p.toArray()).sum(), 1e-5);
                assertEquals(p.argmax(), x.getInt(2));
                assertTrue(x.getDouble(5) >= 0 && x.getDouble(5) <= x.getDouble(4) + 1e-12, "0 <= MI <= entropy");
            }
            // The same images as rows of pixel vectors, in Parquet.
            ImageData test = DataFiles.loadTest("/usr/share/datasets/fashion-mnist", 10, new Configuration());
            List<Row> rows = new java.util.ArrayList<>();
            for (int i = 0; i < 200; i++) {
                double[] v = new double[784];
                for (int k = 0; k < 784; k++) {
                    v[k] = test.pixels()[i * 784 + k] & 0xff;
                }
                rows.add(RowFactory.create((long) i, Vectors.dense(v), test.labels()[i], "image " + i));
            }
            spark.createDataFrame(rows, DataTypes.createStructType(List.of(
                    DataTypes.createStructField("index", DataTypes.LongType, false),
                    DataTypes.createStructField("features", SQLDataTypes.VectorType(), false),
                    DataTypes.createStructField("label", DataTypes.IntegerType, false),
                    DataTypes.createStructField("note", DataTypes.StringType, false))))
                    .write().parquet(parquetIn.getAbsolutePath());
        }

        File fromParquet = new File(tmp, "from-parquet");
        CliRun v = CliRun.of("predict", run.getAbsolutePath(), "--input", parquetIn.getAbsolutePath(), "--output",
                fromParquet.getAbsolutePath(), "--ensemble", "average", "--master", "local[2]", "--conf", "spark.ui.enabled=false");
        assertEquals(ExitCode.SUCCESS, v.code(), v.out() + v.err());
        assertTrue(v.out().contains("200 rows scored with average"), v.out());
        try (SparkSession spark = SparkSession.builder().master("local[1]").config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1").getOrCreate()) {
            Dataset<Row> scored = spark.read().parquet(fromParquet.getAbsolutePath());
            assertEquals(List.of("index", "features", "label", "note", "prediction", "probability", "predictive_entropy",
                    "mutual_information", "vote_margin"), List.of(scored.columns()), "Parquet in: every column kept");
            List<Row> rows = new java.util.ArrayList<>(scored.collectAsList());
            rows.sort(java.util.Comparator.comparingLong(x -> x.getLong(0)));
            for (int i = 0; i < 200; i++) {
                assertEquals("image " + i, rows.get(i).getString(3));
                assertEquals(first.get(i).getInt(2), rows.get(i).getInt(4), "same prediction as from IDX, row " + i);
                assertArrayEquals(((Vector) first.get(i).getAs("probability")).toArray(),
                        ((Vector) rows.get(i).getAs("probability")).toArray(), 1e-6, "row " + i);
            }
        }
    }

    /**
     * {@code --calibrated}: the evaluation's test images (an IDX file of the first test_examples) scored with
     * the average calibrated by the temperature in metrics.json: the marker records it, every probability is
     * Temperature.apply of the members' mean (from the evaluation's cached probabilities) with that T, the
     * predictions are the uncalibrated ones and the NLL is metrics.json's temperature-scaled NLL. An ensemble
     * without a temperature (vote) exits 2 with one line naming it.
     */
    @Test
    void calibratedPredictUsesTheTemperatureOfMetricsJson() throws IOException {
        int n = metrics.get("test_examples").asInt();
        ImageData test = DataFiles.loadTest("/usr/share/datasets/fashion-mnist", 10, new Configuration()).limit(n);
        File data = new File(tmp, "data");
        Files.createDirectories(data.toPath());
        File images = new File(data, DataFiles.TEST_IMAGES);
        Files.write(images.toPath(), IdxWriter.images(test.shape(), test.pixels(), n));
        Files.write(new File(data, DataFiles.TEST_LABELS).toPath(), IdxWriter.labels(test.labels()));
        JsonNode average = null;
        for (JsonNode e : metrics.get("ensembles")) {
            average = e.get("name").asText().equals("average") ? e : average;
        }
        double t = average.get("temperature_scaled").get("temperature").asDouble();

        File out = new File(tmp, "calibrated");
        CliRun r = CliRun.of("predict", run.getAbsolutePath(), "--input", images.getAbsolutePath(), "--output",
                out.getAbsolutePath(), "--ensemble", "average", "--calibrated", "--master", "local[2]",
                "--conf", "spark.ui.enabled=false");
        assertEquals(ExitCode.SUCCESS, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("temperature-scaled with T = " + t), r.out());
        JsonNode marker = Json.MAPPER.readTree(new File(out, "_chorus_predict.json"));
        assertTrue(marker.get("calibrated").asBoolean(), marker.toString());
        assertEquals(t, marker.get("temperature").asDouble(), 0.0, marker.toString());
        assertEquals("temperature-scaled average", marker.get("combiner").asText());

        org.apache.hadoop.fs.FileSystem fs = org.apache.hadoop.fs.FileSystem.getLocal(new Configuration()).getRaw();
        List<double[][]> members = new java.util.ArrayList<>();
        for (JsonNode id : average.get("members")) {
            members.add(ProbsCsv.read(fs, new org.apache.hadoop.fs.Path(run.getAbsolutePath(),
                    "eval/probs/" + id.asText() + ".csv")).p());
        }
        double[][] mean = Average.mean(members);
        double[][] expected = Temperature.apply(mean, t);
        int[] uncalibrated = Probabilities.argmax(mean);
        try (SparkSession spark = SparkSession.builder().master("local[1]").config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1").getOrCreate()) {
            List<Row> rows = new java.util.ArrayList<>(spark.read().parquet(out.getAbsolutePath()).collectAsList());
            rows.sort(java.util.Comparator.comparingLong(x -> x.getLong(0)));
            assertEquals(n, rows.size());
            double[][] p = new double[n][];
            int[] predicted = new int[n];
            for (int j = 0; j < n; j++) {
                p[j] = ((Vector) rows.get(j).getAs("probability")).toArray();
                predicted[j] = rows.get(j).getInt(2);
                assertArrayEquals(expected[j], p[j], 1e-6, "row " + j);
                assertEquals(uncalibrated[j], predicted[j], "row " + j + ": calibration keeps the prediction");
            }
            assertEquals(average.get("temperature_scaled").get("test").get("nll").asDouble(),
                    Metrics.of(p, predicted, test.labels()).nll(), 1e-5);
            if (t != 1.0) {
                assertTrue(Math.abs(p[0][uncalibrated[0]] - mean[0][uncalibrated[0]]) > 1e-4,
                        "the probabilities are scaled: " + p[0][uncalibrated[0]] + " vs " + mean[0][uncalibrated[0]]);
            }
        }

        File never = new File(tmp, "never-calibrated");
        CliRun vote = CliRun.of("predict", run.getAbsolutePath(), "--input", images.getAbsolutePath(), "--output",
                never.getAbsolutePath(), "--ensemble", "vote", "--calibrated");
        assertEquals(ExitCode.BAD_INPUT, vote.code(), vote.out() + vote.err());
        assertTrue(vote.err().contains("ensemble vote cannot be calibrated")
                && vote.err().contains("temperature_scaled.temperature"), vote.err());
        assertTrue(!never.exists(), "nothing written");
    }

    @Test
    void badArgumentsExitTwoAndWriteNothing() throws IOException {
        File exists = new File(tmp, "exists");
        Files.createDirectories(exists.toPath());
        CliRun taken = CliRun.of("predict", run.getAbsolutePath(), "--input", TEST_IMAGES, "--output", exists.getAbsolutePath());
        assertEquals(ExitCode.BAD_INPUT, taken.code());
        assertTrue(taken.err().contains("exists; add --overwrite"), taken.err());

        File out = new File(tmp, "never");
        CliRun unknown = CliRun.of("predict", run.getAbsolutePath(), "--input", TEST_IMAGES, "--output", out.getAbsolutePath(),
                "--ensemble", "bagging");
        assertEquals(ExitCode.BAD_INPUT, unknown.code());
        assertTrue(unknown.err().contains("has no ensemble named bagging"), unknown.err());
        CliRun missing = CliRun.of("predict", run.getAbsolutePath(), "--input", new File(tmp, "none").getAbsolutePath(),
                "--output", out.getAbsolutePath());
        assertEquals(ExitCode.BAD_INPUT, missing.code());
        assertTrue(missing.err().contains("does not exist"), missing.err());
        assertTrue(!out.exists(), "nothing written");
    }
}
