package io.chorus.driver.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.function.IntUnaryOperator;

import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.chorus.driver.CliRun;
import io.chorus.driver.ExitCode;
import io.chorus.driver.run.TrainingData;
import io.chorus.worker.data.Augmentation;
import io.chorus.worker.data.DataFiles;
import io.chorus.worker.data.IdxWriter;
import io.chorus.worker.data.ImageShape;
import io.chorus.worker.train.DataSpec;
import io.chorus.worker.train.PreparedData;

/**
 * Data sets that must be refused before anything trains (and, for {@code chorus evaluate --data}, before any
 * evaluation task starts): exit 2, the file named with what it holds and what was expected, every file as it
 * was, no run directory. Each bad data set is written beside a good one made by the same recipe with only the
 * defect changed; the good recipe trains and evaluates (in {@link #trainOnTheGoodDataSet}).
 */
class DataFilesHostileTest {
    private static final ImageShape GOOD = new ImageShape(8, 8, 1);
    private static final int CLASSES = 10;
    private static final int TRAIN = 48;
    private static final int TEST = 16;
    private static final IntUnaryOperator LABELS = i -> i % CLASSES;
    private static final String JOB = "members: 1\ndata:\n  validation: 8\ntrain:\n  epochs: 1\n  batch: 8\n"
            + "report:\n  enabled: false\n";

    @TempDir
    static Path shared;
    private static Path trainedRun;
    private static CliRun trained;

    @TempDir
    Path tmp;

    /** The smallest run there is, trained and evaluated on the good data set: what --data is checked against. */
    @BeforeAll
    static void trainOnTheGoodDataSet() throws IOException {
        Path data = dataSet(shared.resolve("good"), GOOD, GOOD, LABELS);
        Path job = Files.writeString(shared.resolve("job.yaml"), JOB + "data.dir: " + data + "\n");
        trainedRun = shared.resolve("run");
        trained = CliRun.of("train", job.toString(), "--run-dir", trainedRun.toString(), "--master", "in-process");
    }

    /**
     * Train and test IDX files of {@value #TRAIN} and {@value #TEST} seeded random images; training labels
     * cycle through the classes, test label i is {@code testLabel(i)}.
     */
    static Path dataSet(Path dir, ImageShape train, ImageShape test, IntUnaryOperator testLabel) throws IOException {
        Files.createDirectories(dir);
        Random random = new Random(7);
        write(dir, DataFiles.TRAIN_IMAGES, DataFiles.TRAIN_LABELS, train, TRAIN, LABELS, random);
        write(dir, DataFiles.TEST_IMAGES, DataFiles.TEST_LABELS, test, TEST, testLabel, random);
        return dir;
    }

    private static void write(Path dir, String images, String labels, ImageShape shape, int count,
                              IntUnaryOperator label, Random random) throws IOException {
        byte[] pixels = new byte[shape.pixels() * count];
        random.nextBytes(pixels);
        int[] ls = new int[count];
        for (int i = 0; i < count; i++) {
            ls[i] = label.applyAsInt(i);
        }
        Files.write(dir.resolve(images), IdxWriter.images(shape, pixels, count));
        Files.write(dir.resolve(labels), IdxWriter.labels(ls));
    }

    /** The good twin of a bad data set passes the checks train runs on the driver (the same calls). */
    private static void assertAccepted(Path dir) throws IOException {
        Configuration conf = new Configuration();
        TrainingData data = TrainingData.read(dir.toString(), conf);
        PreparedData prepared = data.prepared(new DataSpec(dir.toString(), CLASSES, 0, 8, new Augmentation(0, false),
                false), 1);
        data.checkTest(TrainingData.fingerprint(DataFiles.testFiles(dir.toString(), conf), conf), prepared.shape(),
                CLASSES, conf);
    }

    /** {@code chorus train} on {@code bad} (its good twin accepted) is refused naming every culprit. */
    private void trainRefused(Path bad, String... culprits) throws IOException {
        assertAccepted(dataSet(tmp.resolve("good"), GOOD, GOOD, LABELS));
        Path job = Files.writeString(tmp.resolve("job.yaml"), JOB + "data.dir: " + bad + "\n");
        Path run = tmp.resolve("run");
        Hostile.refused(new Path[] {tmp}, culprits, "train", job.toString(), "--run-dir", run.toString(),
                "--master", "in-process");
        assertFalse(Files.exists(run), "a refused job creates no run directory");
    }

    /** {@code chorus evaluate RUN --data bad} is refused naming every culprit, the run and the data untouched. */
    private void evaluateRefused(Path bad, String... culprits) {
        assertEquals(ExitCode.SUCCESS, trained.code(), "the good data set trains and evaluates: " + trained.err());
        Hostile.refused(new Path[] {trainedRun, tmp}, culprits, "evaluate", trainedRun.toString(), "--data",
                bad.toString(), "--master", "in-process");
        try (var entries = Files.list(trainedRun)) {
            assertTrue(entries.noneMatch(p -> p.getFileName().toString().startsWith("eval.tmp")), "no staging left");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void theGoodDataSetTrainsAndEvaluates() {
        assertEquals(ExitCode.SUCCESS, trained.code(), trained.out() + trained.err());
        assertTrue(Files.isRegularFile(trainedRun.resolve("eval/metrics.json")), trained.out());
    }

    @Test
    void aTestLabelOutOfRangeIsRefusedBeforeTraining() throws IOException {
        Path bad = dataSet(tmp.resolve("bad"), GOOD, GOOD, i -> i == 5 ? CLASSES : LABELS.applyAsInt(i));
        trainRefused(bad, DataFiles.TEST_LABELS, "label at index 5 is 10", "outside [0,10)");
    }

    @Test
    void testImagesOfAnotherSizeAreRefusedBeforeTraining() throws IOException {
        Path bad = dataSet(tmp.resolve("bad"), GOOD, new ImageShape(9, 8, 1), LABELS);
        trainRefused(bad, DataFiles.TEST_IMAGES, "images are 9x8x1", "the training images", "8x8x1",
                "height 9 instead of 8");
    }

    @Test
    void testImagesOfAnotherChannelCountAreRefusedBeforeTraining() throws IOException {
        Path bad = dataSet(tmp.resolve("bad"), GOOD, new ImageShape(8, 8, 3), LABELS);
        trainRefused(bad, DataFiles.TEST_IMAGES, "images are 8x8x3", "8x8x1", "channels 3 instead of 1");
    }

    @Test
    void imagesSmallerThan8x8AreRefused() throws IOException {
        ImageShape small = new ImageShape(7, 7, 1);
        Path bad = dataSet(tmp.resolve("bad"), small, small, LABELS);
        trainRefused(bad, DataFiles.TRAIN_IMAGES, "images are 7x7 pixels", "smaller than 8x8");
    }

    @Test
    void aDirectoryWhereAnIdxFileBelongsIsNamedAsSuch() throws IOException {
        Path bad = dataSet(tmp.resolve("bad"), GOOD, GOOD, LABELS);
        Files.delete(bad.resolve(DataFiles.TRAIN_LABELS));
        Files.createDirectory(bad.resolve(DataFiles.TRAIN_LABELS));
        trainRefused(bad, DataFiles.TRAIN_LABELS, "is a directory, expected an IDX file");
    }

    @Test
    void aSymbolicLinkLoopWhereAnIdxFileBelongsIsNamedAsSuch() throws IOException {
        Path bad = dataSet(tmp.resolve("bad"), GOOD, GOOD, LABELS);
        Path images = bad.resolve(DataFiles.TRAIN_IMAGES);
        Files.delete(images);
        Files.createSymbolicLink(images, Path.of("other-images"));
        Files.createSymbolicLink(bad.resolve("other-images"), Path.of(DataFiles.TRAIN_IMAGES));
        trainRefused(bad, DataFiles.TRAIN_IMAGES, "is a symbolic link loop", "expected an IDX file");
    }

    @Test
    void evaluateDataWithTestImagesOfAnotherShapeIsRefused() throws IOException {
        Path bad = dataSet(tmp.resolve("bad"), GOOD, new ImageShape(10, 10, 1), LABELS);
        evaluateRefused(bad, DataFiles.TEST_IMAGES, "images are 10x10x1", "the run was trained on 8x8x1");
    }

    @Test
    void evaluateDataWithEveryImageOfAnotherShapeIsRefused() throws IOException {
        ImageShape other = new ImageShape(10, 10, 3);
        Path bad = dataSet(tmp.resolve("bad"), other, other, LABELS);
        evaluateRefused(bad, DataFiles.TRAIN_IMAGES, "images are 10x10x3", "the run was trained on 8x8x1");
    }
}
