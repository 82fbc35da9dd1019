package io.chorus.driver.hostile;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.chorus.driver.CliRun;
import io.chorus.driver.ExitCode;
import io.chorus.driver.eval.TinyRun;
import io.chorus.worker.data.DataFiles;
import io.chorus.worker.data.ImageData;
import io.chorus.worker.fs.Json;

/**
 * {@code chorus predict} given inputs, outputs and model files it must refuse: each is exit 2 with one line
 * naming the culprit, before anything is written, and leaves every file (the input, the run, a previous
 * output) byte-identical and no staging directory behind. With {@code --overwrite}, only a previous output of
 * chorus predict is replaced, and only once the new one is complete.
 */
class PredictInputHostileTest {
    private static final int PIXELS = 784;
    private static File run;
    private static Path root;
    private static ImageData test;
    /** Twenty real test images, 0..19, with an index column. */
    private static Path good20;
    /** Images 5..11 of the same. */
    private static Path good7;
    private static Path wrongCount;
    private static Path nan;
    private static Path nullRow;
    private static Path above255;
    private static Path textFeatures;
    private static Path noFeatures;

    @BeforeAll
    static void inputs() throws IOException {
        run = TinyRun.get().dir();
        root = Files.createTempDirectory("chorus-predict-hostile");
        test = DataFiles.loadTest("/usr/share/datasets/fashion-mnist", 10, new Configuration());
        Path inputs = Files.createDirectories(root.resolve("inputs"));
        good20 = inputs.resolve("good-20");
        good7 = inputs.resolve("good-7");
        wrongCount = inputs.resolve("wrong-count");
        nan = inputs.resolve("nan");
        nullRow = inputs.resolve("null-row");
        above255 = inputs.resolve("above-255");
        textFeatures = inputs.resolve("text-features");
        noFeatures = inputs.resolve("no-features");
        withSpark(spark -> {
            parquet(spark, images(0, 20), good20);
            parquet(spark, images(5, 12), good7);
            List<Row> rows = images(0, 6);
            rows.set(1, RowFactory.create(1L, Vectors.dense(new double[PIXELS - 1])));
            parquet(spark, rows, wrongCount);
            rows = images(0, 6);
            rows.set(3, RowFactory.create(3L, Vectors.dense(pixels(3, 100, Double.NaN))));
            parquet(spark, rows, nan);
            rows = images(0, 6);
            rows.set(2, RowFactory.create(2L, null));
            parquet(spark, rows, nullRow);
            rows = images(0, 6);
            rows.set(4, RowFactory.create(4L, Vectors.dense(pixels(4, 7, 300.0))));
            parquet(spark, rows, above255);
            spark.createDataFrame(List.of(RowFactory.create(0L, "a shirt")), DataTypes.createStructType(List.of(
                            DataTypes.createStructField("index", DataTypes.LongType, false),
                            DataTypes.createStructField("features", DataTypes.StringType, false))))
                    .write().parquet(textFeatures.toString());
            spark.createDataFrame(List.of(RowFactory.create(0L, Vectors.dense(pixels(0, -1, 0)))),
                            DataTypes.createStructType(List.of(
                                    DataTypes.createStructField("index", DataTypes.LongType, false),
                                    DataTypes.createStructField("pixels", SQLDataTypes.VectorType(), false))))
                    .write().parquet(noFeatures.toString());
            return null;
        });
    }

    @AfterAll
    static void cleanUp() throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(p);
            }
        }
    }

    @Test
    void notParquet() throws IOException {
        Path junk = root.resolve("junk.parquet");
        Files.writeString(junk, "index,features\n0,1 2 3\n");
        refusedLeavingNothing(new String[] {"junk.parquet", "is not a Parquet file"},
                predict(junk, root.resolve("out-junk"), "--overwrite"));
    }

    @Test
    void parquetMagicAroundGarbage() throws IOException {
        Path fake = Files.createDirectories(root.resolve("fake-parquet"));
        byte[] bytes = new byte[64];
        java.util.Arrays.fill(bytes, (byte) 7);
        System.arraycopy("PAR1".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, bytes, 0, 4);
        System.arraycopy("PAR1".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, bytes, 60, 4);
        Files.write(fake.resolve("part-00000.parquet"), bytes);
        refusedLeavingNothing(new String[] {"cannot be read as Parquet", "part-00000.parquet"},
                predict(fake, root.resolve("out-fake")));
    }

    @Test
    void wrongPixelCount() {
        refusedLeavingNothing(new String[] {"row 1 of part-", "column features has 783 values", "needs 784"},
                predict(wrongCount, root.resolve("out-count")));
    }

    @Test
    void nanPixel() {
        refusedLeavingNothing(new String[] {"row 3 of part-", "column features holds NaN", "[0, 255]"},
                predict(nan, root.resolve("out-nan")));
    }

    @Test
    void nullFeatureRow() {
        refusedLeavingNothing(new String[] {"row 2 of part-", "column features holds null"},
                predict(nullRow, root.resolve("out-null")));
    }

    @Test
    void valuesAbove255() {
        refusedLeavingNothing(new String[] {"row 4 of part-", "column features holds 300.0", "[0, 255]"},
                predict(above255, root.resolve("out-255")));
    }

    @Test
    void featuresOfAnUnsupportedType() {
        refusedLeavingNothing(new String[] {"column features is string", "expected an ML Vector"},
                predict(textFeatures, root.resolve("out-text")));
    }

    @Test
    void noFeaturesColumn() {
        refusedLeavingNothing(new String[] {"no column named features", "index, pixels"},
                predict(noFeatures, root.resolve("out-none")));
    }

    @Test
    void outputEqualsInput() {
        refusedLeavingNothing(new String[] {"--output " + good20, "is the input"}, predict(good20, good20, "--overwrite"));
    }

    @Test
    void outputInsideInput() {
        Path inside = good20.resolve("scored");
        refusedLeavingNothing(new String[] {"--output " + inside, "inside --input " + good20},
                predict(good20, inside, "--overwrite"));
    }

    @Test
    void inputInsideOutput() {
        Path outer = good20.getParent();
        refusedLeavingNothing(new String[] {"--input " + good20, "inside --output " + outer},
                predict(good20, outer, "--overwrite"));
    }

    @Test
    void overwriteRefusesAFolderOfSomeonesFiles() throws IOException {
        Path theirs = Files.createDirectories(root.resolve("someones-results"));
        Files.writeString(theirs.resolve("notes.txt"), "three weeks of labelling\n");
        Files.write(theirs.resolve("part-00000.parquet"), new byte[] {'P', 'A', 'R', '1'});
        refusedLeavingNothing(new String[] {"--output " + theirs, "not written by chorus predict",
                "remove it yourself or choose another --output"}, predict(good20, theirs, "--overwrite"));
    }

    @Test
    void corruptModelZip() throws IOException {
        Path copy = root.resolve("run-copy");
        copyTree(run.toPath(), copy);
        JsonNode models = Json.MAPPER.readTree(copy.resolve("eval/models.json").toFile());
        JsonNode metrics = Json.MAPPER.readTree(copy.resolve("eval/metrics.json").toFile());
        String member = null;
        for (JsonNode e : metrics.get("ensembles")) {
            if (e.get("name").asText().equals("average")) {
                member = e.get("members").get(e.get("members").size() - 1).asText();
            }
        }
        Path zip = null;
        for (JsonNode m : models.get("models")) {
            if (m.get("id").asText().equals(member)) {
                zip = copy.resolve(m.get("path").asText());
            }
        }
        byte[] bytes = Files.readAllBytes(zip);
        bytes[bytes.length / 2] ^= 0x01;
        Files.write(zip, bytes);
        String[] args = {"predict", copy.toString(), "--input", good20.toString(), "--output",
                root.resolve("out-corrupt").toString(), "--ensemble", "average", "--master", "local[2]",
                "--conf", "spark.ui.enabled=false"};
        refusedLeavingNothing(new String[] {"model file", zip.getFileName().toString(),
                "does not match the run's manifest"}, args);
    }

    @Test
    void overwriteReplacesAPreviousOutputWithTheNewRows() throws IOException {
        Path out = root.resolve("replaced");
        CliRun first = CliRun.of(predict(good20, out));
        assertEquals(ExitCode.SUCCESS, first.code(), first.out() + first.err());
        assertEquals(20, Json.MAPPER.readTree(out.resolve("_chorus_predict.json").toFile()).get("rows").asInt());
        List<Row> before = scoredRows(out);

        CliRun second = CliRun.of(predict(good7, out, "--overwrite"));
        assertEquals(ExitCode.SUCCESS, second.code(), second.out() + second.err());
        assertTrue(second.out().contains("7 rows scored with average"), second.out());
        JsonNode marker = Json.MAPPER.readTree(out.resolve("_chorus_predict.json").toFile());
        assertEquals(7, marker.get("rows").asInt());
        assertEquals("average", marker.get("ensemble").asText());
        List<Row> after = scoredRows(out);
        assertEquals(List.of(5L, 6L, 7L, 8L, 9L, 10L, 11L), after.stream().map(r -> r.getLong(0)).toList(),
                "the output holds the new input's rows only");
        for (Row r : after) {
            Row old = before.get((int) r.getLong(0));
            assertEquals(old.getLong(0), r.getLong(0));
            assertEquals(old.<Integer>getAs("prediction"), r.<Integer>getAs("prediction"), "row " + r.getLong(0));
            assertArrayEquals(old.<Vector>getAs("probability").toArray(), r.<Vector>getAs("probability").toArray(),
                    1e-6, "row " + r.getLong(0));
        }
        assertEquals(Set.of(), leftovers(), "no staging or moved-aside directory is left");
    }

    @Test
    void aFailedOverwriteLeavesThePreviousOutputAsItWas() throws IOException {
        Path out = root.resolve("kept");
        CliRun first = CliRun.of(predict(good20, out));
        assertEquals(ExitCode.SUCCESS, first.code(), first.out() + first.err());
        assertFalse(Hostile.checksums(out).isEmpty());
        refusedLeavingNothing(new String[] {"row 3 of part-", "NaN"}, predict(nan, out, "--overwrite"));
        assertEquals(20, scoredRows(out).size());
    }

    /** Refused (see {@link Hostile#refused}), with no file or directory added under the test's root either. */
    private static CliRun refusedLeavingNothing(String[] culprits, String... args) {
        Set<Path> before = tree(root);
        CliRun r = Hostile.refused(new Path[] {root, run.toPath()}, culprits, args);
        assertEquals(before, tree(root), "the refused command added or removed files or directories");
        assertEquals(Set.of(), leftovers());
        return r;
    }

    /** Staging or moved-aside directories anywhere under the test's root. */
    private static Set<Path> leftovers() {
        return tree(root).stream().filter(p -> p.getFileName().toString().contains(".chorus-staging-")
                || p.getFileName().toString().contains(".old-")).collect(Collectors.toCollection(TreeSet::new));
    }

    private static Set<Path> tree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.collect(Collectors.toCollection(TreeSet::new));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String[] predict(Path input, Path output, String... more) {
        List<String> args = new ArrayList<>(List.of("predict", run.getAbsolutePath(), "--input", input.toString(),
                "--output", output.toString(), "--ensemble", "average", "--master", "local[2]",
                "--conf", "spark.ui.enabled=false"));
        args.addAll(List.of(more));
        return args.toArray(String[]::new);
    }

    /** The scored rows of an output, by index. */
    private static List<Row> scoredRows(Path out) {
        return withSpark(spark -> {
            List<Row> rows = new ArrayList<>(spark.read().parquet(out.toString())
                    .select("index", "prediction", "probability").collectAsList());
            rows.sort(Comparator.comparingLong(r -> r.getLong(0)));
            return rows;
        });
    }

    private static List<Row> images(int from, int to) {
        List<Row> rows = new ArrayList<>();
        for (int i = from; i < to; i++) {
            rows.add(RowFactory.create((long) i, Vectors.dense(pixels(i, -1, 0))));
        }
        return rows;
    }

    /** Image {@code i}'s raw pixel values, with pixel {@code k} (if not -1) set to {@code value}. */
    private static double[] pixels(int i, int k, double value) {
        double[] v = new double[PIXELS];
        for (int p = 0; p < PIXELS; p++) {
            v[p] = test.pixels()[i * PIXELS + p] & 0xff;
        }
        if (k >= 0) {
            v[k] = value;
        }
        return v;
    }

    /** One Parquet file at {@code dir}, the rows in order. */
    private static void parquet(SparkSession spark, List<Row> rows, Path dir) {
        spark.createDataFrame(rows, DataTypes.createStructType(List.of(
                        DataTypes.createStructField("index", DataTypes.LongType, false),
                        DataTypes.createStructField("features", SQLDataTypes.VectorType(), true))))
                .coalesce(1).write().parquet(dir.toString());
    }

    private static <T> T withSpark(Function<SparkSession, T> body) {
        try (SparkSession spark = SparkSession.builder().master("local[1]").config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1").getOrCreate()) {
            return body.apply(spark);
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }
}
