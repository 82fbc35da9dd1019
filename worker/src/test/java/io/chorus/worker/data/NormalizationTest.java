package io.chorus.worker.data;

import static io.chorus.worker.data.IdxFiles.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class NormalizationTest {

    @Test
    void fitsPerChannelMeanAndPopulationStd() {
        // Two 1x2 images with two channels, channels-first.
        // channel 0 values /255: 0, 1 | 1, 1      -> mean 0.75, var 0.75 - 0.5625 = 0.1875
        // channel 1 values /255: 0.2, 0.2 | 0.4, 0 -> mean 0.2,  var 0.06 - 0.04 = 0.02
        ImageData data = new ImageData(new ImageShape(1, 2, 2),
                bytes(0, 255, 51, 51,
                      255, 255, 102, 0),
                new int[] {0, 1}, 2);
        Normalization n = Normalization.fit(data);
        assertArrayEquals(new float[] {0.75f, 0.2f}, n.mean(), 1e-6f);
        assertArrayEquals(new float[] {(float) Math.sqrt(0.1875), (float) Math.sqrt(0.02)}, n.std(), 1e-6f);
        assertEquals(2, n.channels());
    }

    @Test
    void constantImagesGetTheStdFloor() {
        ImageData data = new ImageData(new ImageShape(2, 2, 1), bytes(255, 255, 255, 255, 255, 255, 255, 255),
                new int[] {0, 0}, 1);
        Normalization n = Normalization.fit(data);
        assertArrayEquals(new float[] {1f}, n.mean(), 1e-7f);
        assertArrayEquals(new float[] {1e-6f}, n.std());
    }

    @Test
    void isImmutableAndComparesByValue() {
        float[] mean = {0.5f};
        Normalization n = new Normalization(mean, new float[] {0.25f});
        mean[0] = 9f;
        n.mean()[0] = 9f;
        assertEquals(0.5f, n.mean()[0]);
        assertEquals(new Normalization(new float[] {0.5f}, new float[] {0.25f}), n);
    }

    @Test
    void rejectsInvalidInput() {
        assertThrows(IllegalArgumentException.class,
                () -> Normalization.fit(ImageData.empty(new ImageShape(1, 1, 1), 2)));
        assertThrows(IllegalArgumentException.class, () -> new Normalization(new float[] {0}, new float[] {0}));
        assertThrows(IllegalArgumentException.class, () -> new Normalization(new float[] {0, 0}, new float[] {1}));
        assertThrows(IllegalArgumentException.class, () -> new Normalization(new float[0], new float[0]));
    }

    @Test
    void matchesPublishedFashionMnistStatistics() throws IOException {
        Path dir = Path.of("/usr/share/datasets/fashion-mnist");
        Assumptions.assumeTrue(Files.isRegularFile(dir.resolve("train-images-idx3-ubyte.gz")),
                "Fashion-MNIST not installed at " + dir);
        Normalization n = Normalization.fit(DataFiles.loadTrain(dir.toString(), 10, new Configuration()));
        // The commonly quoted training-set statistics of Fashion-MNIST: mean 0.2860, std 0.3530.
        assertEquals(0.2860f, n.mean()[0], 1e-4f);
        assertEquals(0.3530f, n.std()[0], 1e-4f);
    }
}
