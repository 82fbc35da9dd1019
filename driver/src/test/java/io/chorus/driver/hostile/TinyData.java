package io.chorus.driver.hostile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import io.chorus.worker.data.DataFiles;
import io.chorus.worker.data.IdxWriter;
import io.chorus.worker.data.ImageShape;

/** Small runs and data sets for the hostile-input tests: made here, so a test may damage its own copy. */
final class TinyData {
    private TinyData() {
    }

    /** A job that trains in a few seconds in this JVM: 2 LeNet members, 1 epoch on 300 Fashion-MNIST images. */
    static String job(String dataDir) {
        return "members: 2\nseed: 3\ndata:\n  dir: " + dataDir + "\n  limit: 300\n  validation: 100\n"
                + "train:\n  epochs: 1\n  batch: 50\nevaluate:\n  enabled: false\nreport:\n  enabled: false\n";
    }

    static final String FASHION = "/usr/share/datasets/fashion-mnist";

    /** Writes an IDX data set of {@code n} random 28x28 grey images of 3 classes (train and test files) into {@code dir}. */
    static Path idx(Path dir, int n) {
        try {
            Files.createDirectories(dir);
            ImageShape shape = new ImageShape(28, 28, 1);
            Random r = new Random(7);
            byte[] pixels = new byte[n * shape.pixels()];
            r.nextBytes(pixels);
            int[] labels = new int[n];
            for (int i = 0; i < n; i++) {
                labels[i] = i % 3;
            }
            Files.write(dir.resolve(DataFiles.TRAIN_IMAGES), IdxWriter.images(shape, pixels, n));
            Files.write(dir.resolve(DataFiles.TRAIN_LABELS), IdxWriter.labels(labels));
            Files.write(dir.resolve(DataFiles.TEST_IMAGES), IdxWriter.images(shape, pixels, n));
            Files.write(dir.resolve(DataFiles.TEST_LABELS), IdxWriter.labels(labels));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Copies a directory tree (a run the test may then damage). */
    static Path copy(Path from, Path to) {
        try (var files = Files.walk(from)) {
            for (Path p : files.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t);
                }
            }
            return to;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A command line of {@code chorus} in a fresh JVM with this test's classpath. */
    static List<String> javaCommand(String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx2g", "-cp", System.getProperty("java.class.path")));
        String cache = System.getProperty("org.bytedeco.javacpp.cachedir");
        if (cache != null) {
            cmd.add("-Dorg.bytedeco.javacpp.cachedir=" + cache);
        }
        cmd.add("io.chorus.driver.Chorus");
        cmd.addAll(List.of(args));
        return cmd;
    }
}
