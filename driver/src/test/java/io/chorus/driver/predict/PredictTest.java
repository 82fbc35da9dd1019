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
import io.chorus.driver.eval.TinyRun;
import io.chorus.worker.data.DataFiles;
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
