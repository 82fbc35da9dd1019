package io.chorus.worker.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;

class BatchSourceTest {

    private static final Normalization IDENTITY = Normalization.identity(1);

    /** One batch as plain arrays, comparable with equals. */
    private record Batch(long[] featureShape, float[] features, long[] labelShape, float[] labels) {
        static Batch of(DataSet ds) {
            return new Batch(ds.getFeatures().shape(), ds.getFeatures().data().asFloat(),
                    ds.getLabels().shape(), ds.getLabels().data().asFloat());
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Batch b && Arrays.equals(featureShape, b.featureShape)
                    && Arrays.equals(features, b.features) && Arrays.equals(labelShape, b.labelShape)
                    && Arrays.equals(labels, b.labels);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(features);
        }
    }

    private static List<Batch> all(Iterator<DataSet> it) {
        List<Batch> out = new ArrayList<>();
        it.forEachRemaining(ds -> out.add(Batch.of(ds)));
        return out;
    }

    /** Indices of the examples of one epoch of {@link Indexed} data under identity normalization. */
    private static List<Integer> indices(BatchSource source, int epoch) {
        List<Integer> out = new ArrayList<>();
        int numClasses = source.numClasses();
        for (Iterator<DataSet> it = source.epoch(epoch, 0); it.hasNext(); ) {
            DataSet ds = it.next();
            float[] f = ds.getFeatures().data().asFloat();
            float[] l = ds.getLabels().data().asFloat();
            for (int j = 0; j < f.length / 2; j++) {
                int index = (Math.round(f[2 * j] * 255) << 8) | Math.round(f[2 * j + 1] * 255);
                out.add(index);
                float[] expectedLabel = new float[numClasses];
                expectedLabel[index % numClasses] = 1f;
                assertArrayEquals(expectedLabel, Arrays.copyOfRange(l, j * numClasses, (j + 1) * numClasses),
                        "one-hot label of example " + index);
            }
        }
        return out;
    }

    /** n random images of the given shape, labels random in [0, 10). */
    private static ImageData random(int n, ImageShape shape, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] pixels = new byte[n * shape.pixels()];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (byte) r.nextInt(256);
        }
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = r.nextInt(10);
        }
        return new ImageData(shape, pixels, labels, 10);
    }

    @Test
    void shortLastBatchAndShapes() {
        BatchSource s = new BatchSource(Indexed.data(10, 3), IDENTITY, 4, Augmentation.NONE, false, 1);
        assertEquals(3, s.batchesPerEpoch());
        assertEquals(10, s.examples());
        List<Batch> batches = all(s.epoch(0, 0));
        assertEquals(3, batches.size());
        assertArrayEquals(new long[] {4, 1, 1, 2}, batches.get(0).featureShape());
        assertArrayEquals(new long[] {4, 3}, batches.get(1).labelShape());
        assertArrayEquals(new long[] {2, 1, 1, 2}, batches.get(2).featureShape());
        assertArrayEquals(new long[] {2, 3}, batches.get(2).labelShape());
        DataSet first = s.epoch(0, 0).next();
        assertEquals(DataType.FLOAT, first.getFeatures().dataType());
        assertEquals(DataType.FLOAT, first.getLabels().dataType());
        assertEquals(1, new BatchSource(Indexed.data(10, 3), IDENTITY, 10, Augmentation.NONE, false, 1)
                .batchesPerEpoch());
        assertEquals(10, new BatchSource(Indexed.data(10, 3), IDENTITY, 1, Augmentation.NONE, true, 1)
                .batchesPerEpoch());
    }

    @Test
    void everyExampleOncePerEpochWithoutBootstrap() {
        BatchSource s = new BatchSource(Indexed.data(103, 7), IDENTITY, 10, Augmentation.NONE, false, 5);
        for (int epoch = 0; epoch < 3; epoch++) {
            List<Integer> order = indices(s, epoch);
            List<Integer> sorted = new ArrayList<>(order);
            sorted.sort(null);
            for (int i = 0; i < 103; i++) {
                assertEquals(i, sorted.get(i), "epoch " + epoch);
            }
            assertNotEquals(sorted, order, "epoch " + epoch + " should be shuffled");
        }
    }

    @Test
    void epochsAndMembersShuffleDifferently() {
        ImageData data = Indexed.data(100, 10);
        BatchSource a = new BatchSource(data, IDENTITY, 16, Augmentation.NONE, false, 1);
        BatchSource b = new BatchSource(data, IDENTITY, 16, Augmentation.NONE, false, 2);
        assertNotEquals(indices(a, 0), indices(a, 1));
        assertNotEquals(indices(a, 0), indices(b, 0));
        assertEquals(indices(a, 4), indices(new BatchSource(data, IDENTITY, 16, Augmentation.NONE, false, 1), 4));
    }

    @Test
    void sameArgumentsGiveIdenticalBatches() {
        ImageData data = random(50, new ImageShape(6, 5, 2), 3);
        Normalization norm = Normalization.fit(data);
        Augmentation aug = new Augmentation(2, true);
        List<Batch> a = all(new BatchSource(data, norm, 8, aug, true, 77).epoch(2, 0));
        List<Batch> b = all(new BatchSource(data, norm, 8, aug, true, 77).epoch(2, 0));
        assertEquals(a, b);
        assertNotEquals(a, all(new BatchSource(data, norm, 8, aug, true, 78).epoch(2, 0)));
    }

    @Test
    void resumingAtBatchKEqualsSkippingK() {
        ImageData data = random(70, new ImageShape(6, 6, 3), 9);
        Normalization norm = Normalization.fit(data);
        for (boolean bootstrap : new boolean[] {false, true}) {
            BatchSource s = new BatchSource(data, norm, 8, new Augmentation(2, true), bootstrap, 123);
            assertEquals(9, s.batchesPerEpoch());
            for (int epoch : new int[] {0, 3}) {
                List<Batch> full = all(s.epoch(epoch, 0));
                assertEquals(9, full.size());
                for (int k : new int[] {1, 4, 8, 9}) {
                    assertEquals(full.subList(k, full.size()), all(s.epoch(epoch, k)),
                            "epoch " + epoch + " from batch " + k + ", bootstrap " + bootstrap);
                }
            }
            assertNotEquals(all(s.epoch(0, 0)), all(s.epoch(1, 0)));
        }
    }

    @Test
    void bootstrapDrawsWithReplacementOnceAndPermutesPerEpoch() {
        ImageData data = Indexed.data(200, 10);
        BatchSource s = new BatchSource(data, IDENTITY, 32, Augmentation.NONE, true, 9);
        assertEquals(200, s.examples());
        assertEquals(7, s.batchesPerEpoch());
        List<Integer> e0 = indices(s, 0);
        List<Integer> e1 = indices(s, 1);
        assertEquals(200, e0.size());
        int distinct = new HashSet<>(e0).size();
        // A bootstrap sample holds about 1 - 1/e = 63% distinct examples.
        assertTrue(distinct > 100 && distinct < 150, "distinct examples: " + distinct);
        assertNotEquals(e0, e1, "each epoch permutes the sample");
        assertEquals(sortedCopy(e0), sortedCopy(e1), "the sample is drawn once, not per epoch");
        assertEquals(e0, indices(new BatchSource(data, IDENTITY, 32, Augmentation.NONE, true, 9), 0));
        assertNotEquals(sortedCopy(e0),
                sortedCopy(indices(new BatchSource(data, IDENTITY, 32, Augmentation.NONE, true, 10), 0)));
    }

    private static List<Integer> sortedCopy(List<Integer> l) {
        List<Integer> c = new ArrayList<>(l);
        c.sort(null);
        return c;
    }

    @Test
    void renderShiftsByTheGivenOffsetWithZeroFill() {
        ImageShape shape = new ImageShape(5, 5, 2);
        byte[] img = new byte[50];
        img[2 * 5 + 2] = (byte) 200;          // channel 0, (2,2)
        img[25 + 0 * 5 + 4] = (byte) 100;     // channel 1, (0,4)
        float[][] table = new Normalization(new float[] {0.1f, 0.2f}, new float[] {0.5f, 2f}).lookupTable();
        float zero0 = (float) ((0 - 0.1) / 0.5);
        float zero1 = (float) ((0 - 0.2) / 2.0);
        float[] out = new float[50];

        BatchSource.render(img, 0, shape, table, 1, -2, false, out, 0);
        for (int c = 0; c < 2; c++) {
            for (int y = 0; y < 5; y++) {
                for (int x = 0; x < 5; x++) {
                    float v = out[c * 25 + y * 5 + x];
                    if (c == 0 && y == 3 && x == 0) {
                        assertEquals((float) ((200 / 255.0 - 0.1) / 0.5), v, 1e-6f);
                    } else if (c == 1 && y == 1 && x == 2) {
                        assertEquals((float) ((100 / 255.0 - 0.2) / 2.0), v, 1e-6f);
                    } else {
                        assertEquals(c == 0 ? zero0 : zero1, v, 1e-6f, "c=" + c + " y=" + y + " x=" + x);
                    }
                }
            }
        }

        // Shifted out of view: channel 0's pixel moves to (2,5), gone; channel 1's to (0,7), gone.
        BatchSource.render(img, 0, shape, table, 0, 3, false, out, 0);
        for (int k = 0; k < 50; k++) {
            assertEquals(k < 25 ? zero0 : zero1, out[k], 1e-6f, "offset " + k);
        }
    }

    @Test
    void renderFlipsThenShifts() {
        ImageShape shape = new ImageShape(2, 3, 1);
        // Rendered from source offset 3 into destination offset 2, as for an image inside a batch.
        byte[] img = IdxFiles.bytes(0, 0, 0, 1, 2, 3, 4, 5, 6);
        float[][] table = IDENTITY.lookupTable();
        float[] out = new float[2 + 6];
        BatchSource.render(img, 3, shape, table, 0, 0, true, out, 2);
        assertArrayEquals(scaled(3, 2, 1, 6, 5, 4), Arrays.copyOfRange(out, 2, 8), 1e-7f);
        assertEquals(0f, out[0]);
        BatchSource.render(img, 3, shape, table, 0, 1, true, out, 2);
        assertArrayEquals(scaled(0, 3, 2, 0, 6, 5), Arrays.copyOfRange(out, 2, 8), 1e-7f);
        BatchSource.render(img, 3, shape, table, -1, 0, false, out, 2);
        assertArrayEquals(scaled(4, 5, 6, 0, 0, 0), Arrays.copyOfRange(out, 2, 8), 1e-7f);
    }

    private static float[] scaled(int... raw) {
        float[] f = new float[raw.length];
        for (int i = 0; i < raw.length; i++) {
            f[i] = (float) (raw[i] / 255.0);
        }
        return f;
    }

    @Test
    void shiftMovesASingleBrightPixelWithinRange() {
        int n = 300;
        ImageShape shape = new ImageShape(7, 7, 1);
        byte[] pixels = new byte[n * 49];
        for (int i = 0; i < n; i++) {
            pixels[i * 49 + 3 * 7 + 3] = (byte) 255;
        }
        ImageData data = new ImageData(shape, pixels, new int[n], 1);
        BatchSource s = new BatchSource(data, IDENTITY, 64, new Augmentation(2, false), false, 4);
        Set<String> offsets = new HashSet<>();
        for (Iterator<DataSet> it = s.epoch(0, 0); it.hasNext(); ) {
            float[] f = it.next().getFeatures().data().asFloat();
            for (int j = 0; j < f.length / 49; j++) {
                int bright = -1;
                for (int p = 0; p < 49; p++) {
                    float v = f[j * 49 + p];
                    if (v == 1f) {
                        assertEquals(-1, bright, "exactly one bright pixel");
                        bright = p;
                    } else {
                        assertEquals(0f, v);
                    }
                }
                assertTrue(bright >= 0, "the pixel never leaves a 7x7 image with maxShift 2");
                int dy = bright / 7 - 3;
                int dx = bright % 7 - 3;
                assertTrue(Math.abs(dy) <= 2 && Math.abs(dx) <= 2, "offset " + dy + "," + dx);
                offsets.add(dy + "," + dx);
            }
        }
        assertEquals(25, offsets.size(), "all 5x5 offsets occur: " + offsets);
    }

    @Test
    void flipMirrorsAboutHalfTheImages() {
        int n = 400;
        ImageShape shape = new ImageShape(2, 3, 1);
        byte[] pixels = new byte[n * 6];
        for (int i = 0; i < n; i++) {
            System.arraycopy(IdxFiles.bytes(1, 2, 3, 4, 5, 6), 0, pixels, i * 6, 6);
        }
        ImageData data = new ImageData(shape, pixels, new int[n], 1);
        BatchSource s = new BatchSource(data, IDENTITY, 100, new Augmentation(0, true), false, 8);
        float[] plain = scaled(1, 2, 3, 4, 5, 6);
        float[] mirrored = scaled(3, 2, 1, 6, 5, 4);
        int flipped = 0;
        for (Iterator<DataSet> it = s.epoch(0, 0); it.hasNext(); ) {
            float[] f = it.next().getFeatures().data().asFloat();
            for (int j = 0; j < f.length / 6; j++) {
                float[] img = Arrays.copyOfRange(f, j * 6, j * 6 + 6);
                if (Arrays.equals(img, mirrored)) {
                    flipped++;
                } else {
                    assertArrayEquals(plain, img);
                }
            }
        }
        assertTrue(flipped > 150 && flipped < 250, "flipped " + flipped + " of 400");
    }

    @Test
    void normalizationIsAppliedExactly() {
        byte[] pixels = new byte[256];
        for (int p = 0; p < 256; p++) {
            pixels[p] = (byte) p;
        }
        ImageData data = new ImageData(new ImageShape(16, 16, 1), pixels, new int[] {0}, 2);
        Normalization norm = new Normalization(new float[] {0.5f}, new float[] {0.25f});
        float[] batch = new BatchSource(data, norm, 1, Augmentation.NONE, false, 0).epoch(0, 0).next()
                .getFeatures().data().asFloat();
        float[] eval = BatchSource.toDataSet(data, norm, 0, 1).getFeatures().data().asFloat();
        for (int p = 0; p < 256; p++) {
            float expected = (float) ((p / 255.0 - 0.5) / 0.25);
            assertEquals(expected, batch[p], 1e-6f, "pixel " + p);
            assertEquals(expected, eval[p], 1e-6f, "pixel " + p);
        }
    }

    @Test
    void toDataSetReturnsTheRangeInOrderUnaugmented() {
        ImageData data = Indexed.data(5, 3);
        DataSet ds = BatchSource.toDataSet(data, IDENTITY, 1, 4);
        assertArrayEquals(new long[] {3, 1, 1, 2}, ds.getFeatures().shape());
        assertArrayEquals(scaled(0, 1, 0, 2, 0, 3), ds.getFeatures().data().asFloat(), 1e-7f);
        assertArrayEquals(new float[] {0, 1, 0, 0, 0, 1, 1, 0, 0}, ds.getLabels().data().asFloat());
        assertEquals(DataType.FLOAT, ds.getFeatures().dataType());
        assertThrows(IllegalArgumentException.class, () -> BatchSource.toDataSet(data, IDENTITY, 2, 2));
        assertThrows(IllegalArgumentException.class, () -> BatchSource.toDataSet(data, IDENTITY, -1, 2));
        assertThrows(IllegalArgumentException.class, () -> BatchSource.toDataSet(data, IDENTITY, 0, 6));
        assertThrows(IllegalArgumentException.class, () -> BatchSource.toDataSet(data, Normalization.identity(3), 0, 1));
    }

    @Test
    void rejectsInvalidArguments() {
        ImageData data = Indexed.data(10, 2);
        assertThrows(IllegalArgumentException.class, () -> new BatchSource(data, IDENTITY, 0, Augmentation.NONE, false, 0));
        assertThrows(IllegalArgumentException.class,
                () -> new BatchSource(data, Normalization.identity(3), 4, Augmentation.NONE, false, 0));
        assertThrows(IllegalArgumentException.class,
                () -> new BatchSource(data.limit(0), IDENTITY, 4, Augmentation.NONE, false, 0));
        assertThrows(IllegalArgumentException.class, // images are 1x2: a shift of 1 empties them
                () -> new BatchSource(data, IDENTITY, 4, new Augmentation(1, false), false, 0));
        assertThrows(IllegalArgumentException.class, () -> new Augmentation(-1, false));
        BatchSource s = new BatchSource(data, IDENTITY, 4, Augmentation.NONE, false, 0);
        assertThrows(IllegalArgumentException.class, () -> s.epoch(-1, 0));
        assertThrows(IllegalArgumentException.class, () -> s.epoch(0, 4));
        assertThrows(IllegalArgumentException.class, () -> s.epoch(0, -1));
        assertFalse(s.epoch(0, 3).hasNext());
        assertFalse(Augmentation.NONE.enabled());
        assertTrue(new Augmentation(0, true).enabled());
        assertTrue(new Augmentation(1, false).enabled());
    }
}
