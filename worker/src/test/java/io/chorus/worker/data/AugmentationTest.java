package io.chorus.worker.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;

/** Random crop with zero padding and random erasing, on known images, through {@link BatchSource}. */
class AugmentationTest {
    private static final Normalization IDENTITY = Normalization.identity(1);
    private static final float[] TABLE = IDENTITY.lookupTable()[0];

    private static ImageData copies(ImageShape s, byte[] img, int n) {
        byte[] px = new byte[n * s.pixels()];
        for (int i = 0; i < n; i++) {
            System.arraycopy(img, 0, px, i * s.pixels(), s.pixels());
        }
        return new ImageData(s, px, new int[n], 1);
    }

    /** Every augmented image of epoch 0, as raw-unit floats (identity normalization). */
    private static List<float[]> images(BatchSource source) {
        List<float[]> out = new ArrayList<>();
        int per = source.shape().pixels();
        for (Iterator<DataSet> it = source.epoch(0, 0); it.hasNext(); ) {
            float[] f = it.next().getFeatures().data().asFloat();
            for (int j = 0; j < f.length / per; j++) {
                out.add(Arrays.copyOfRange(f, j * per, (j + 1) * per));
            }
        }
        return out;
    }

    private static float[] normalized(byte[] raw) {
        float[] f = new float[raw.length];
        for (int k = 0; k < raw.length; k++) {
            f[k] = TABLE[raw[k] & 0xFF];
        }
        return f;
    }

    @Test
    void aCropWithPaddingMovesTheMarkByAtMostPAndZerosEnterFromTheSide() {
        ImageShape s = new ImageShape(9, 9, 1);
        byte[] img = new byte[81];
        Arrays.fill(img, (byte) 100);
        img[4 * 9 + 4] = (byte) 255; // the mark, in the middle of a grey image
        int p = 3;
        BatchSource source = new BatchSource(copies(s, img, 400), IDENTITY, 50,
                new Augmentation(0, false, p, Erasing.NONE), false, 5);
        Set<String> offsets = new HashSet<>();
        for (float[] out : images(source)) {
            int mark = -1;
            for (int k = 0; k < 81; k++) {
                if (out[k] == TABLE[255]) {
                    assertEquals(-1, mark, "one mark");
                    mark = k;
                }
            }
            int dy = mark / 9 - 4;
            int dx = mark % 9 - 4;
            assertTrue(Math.abs(dy) <= p && Math.abs(dx) <= p, dy + "," + dx);
            // The whole image is the input moved by (dy, dx), with raw zeros in the rows and columns vacated.
            assertArrayEquals(normalized(Corruptions.translate(img, s, dy, dx)), out, dy + "," + dx);
            offsets.add(dy + "," + dx);
        }
        assertEquals((2 * p + 1) * (2 * p + 1), offsets.size(), "every offset of the 7x7 crop positions occurs");
    }

    @Test
    void cropPaddingAddsToTheShiftAndTogetherTheyMustFitTheImage() {
        ImageShape s = new ImageShape(9, 9, 1);
        byte[] img = new byte[81];
        img[40] = (byte) 255;
        BatchSource source = new BatchSource(copies(s, img, 600), IDENTITY, 100,
                new Augmentation(1, false, 2, Erasing.NONE), false, 6);
        int largest = 0;
        for (float[] out : images(source)) {
            for (int k = 0; k < 81; k++) {
                if (out[k] == TABLE[255]) {
                    largest = Math.max(largest, Math.max(Math.abs(k / 9 - 4), Math.abs(k % 9 - 4)));
                }
            }
        }
        assertEquals(3, largest, "shift 1 plus padding 2 reaches 3 pixels");
        assertThrows(IllegalArgumentException.class, () -> new BatchSource(copies(s, img, 1), IDENTITY, 1,
                new Augmentation(4, false, 5, Erasing.NONE), false, 0));
        assertThrows(IllegalArgumentException.class, () -> new Augmentation(0, false, -1, Erasing.NONE));
    }

    @Test
    void erasingWithProbabilityOneFillsOneRectangleWithinTheBoundsAndNothingElse() {
        ImageShape s = new ImageShape(20, 16, 1);
        byte[] img = new byte[s.pixels()];
        Arrays.fill(img, (byte) 200);
        Erasing erase = new Erasing(1, 0.05, 0.3, 0.5, 2.0, 7, false);
        BatchSource source = new BatchSource(copies(s, img, 300), IDENTITY, 64,
                new Augmentation(0, false, 0, erase), false, 9);
        Set<String> rectangles = new HashSet<>();
        for (float[] out : images(source)) {
            int top = 20;
            int bottom = -1;
            int left = 16;
            int right = -1;
            for (int k = 0; k < out.length; k++) {
                if (out[k] == TABLE[7]) {
                    top = Math.min(top, k / 16);
                    bottom = Math.max(bottom, k / 16);
                    left = Math.min(left, k % 16);
                    right = Math.max(right, k % 16);
                } else {
                    assertEquals(TABLE[200], out[k], "outside the rectangle nothing changes");
                }
            }
            assertTrue(bottom >= 0, "probability 1 always erases");
            int eh = bottom - top + 1;
            int ew = right - left + 1;
            for (int y = top; y <= bottom; y++) {
                for (int x = left; x <= right; x++) {
                    assertEquals(TABLE[7], out[y * 16 + x], "the erased region is a full rectangle");
                }
            }
            double area = eh * ew / 320.0;
            double aspect = (double) eh / ew;
            assertTrue(area >= 0.05 && area <= 0.3, "area " + area);
            assertTrue(aspect >= 0.5 && aspect <= 2.0, "aspect " + aspect);
            rectangles.add(top + "," + left + "," + eh + "," + ew);
        }
        assertTrue(rectangles.size() > 50, "rectangles vary: " + rectangles.size());
    }

    @Test
    void noiseFillStaysInsideARectangleAndProbabilityZeroChangesNothing() {
        ImageShape s = new ImageShape(12, 12, 1);
        byte[] img = new byte[s.pixels()];
        Arrays.fill(img, (byte) 50);
        ImageData data = copies(s, img, 100);
        Erasing noisy = new Erasing(1, 0.1, 0.2, 1.0, 1.0, 0, true);
        int changedImages = 0;
        for (float[] out : images(new BatchSource(data, IDENTITY, 25, new Augmentation(0, false, 0, noisy), false, 3))) {
            int top = 12;
            int bottom = -1;
            int left = 12;
            int right = -1;
            for (int k = 0; k < out.length; k++) {
                if (out[k] != TABLE[50]) {
                    top = Math.min(top, k / 12);
                    bottom = Math.max(bottom, k / 12);
                    left = Math.min(left, k % 12);
                    right = Math.max(right, k % 12);
                }
            }
            if (bottom >= 0) {
                changedImages++;
                // A square (aspect 1) of 0.1 to 0.2 of 144 pixels: 4x4, at most 5x5 around what changed.
                assertTrue(bottom - top < 5 && right - left < 5, "changes within one square");
            }
        }
        assertEquals(100, changedImages);

        Erasing never = new Erasing(0, 0.1, 0.2, 1.0, 1.0, 0, true);
        assertFalse(new Augmentation(0, false, 0, never).enabled());
        List<float[]> plain = images(new BatchSource(data, IDENTITY, 25, Augmentation.NONE, false, 3));
        List<float[]> zero = images(new BatchSource(data, IDENTITY, 25, new Augmentation(0, false, 0, never), false, 3));
        for (int i = 0; i < plain.size(); i++) {
            assertArrayEquals(plain.get(i), zero.get(i));
            assertArrayEquals(normalized(img), zero.get(i));
        }
    }

    @Test
    void theSameSeedGivesTheSameImagesAndAnotherSeedOthers() {
        ImageShape s = new ImageShape(10, 10, 1);
        byte[] img = new byte[100];
        for (int k = 0; k < 100; k++) {
            img[k] = (byte) (k * 2);
        }
        ImageData data = copies(s, img, 64);
        Augmentation aug = new Augmentation(1, true, 2, new Erasing(0.5, 0.02, 0.4, 0.3, 3.3, 0, true));
        List<float[]> a = images(new BatchSource(data, IDENTITY, 16, aug, false, 77));
        List<float[]> b = images(new BatchSource(data, IDENTITY, 16, aug, false, 77));
        List<float[]> c = images(new BatchSource(data, IDENTITY, 16, aug, false, 78));
        int differ = 0;
        for (int i = 0; i < a.size(); i++) {
            assertArrayEquals(a.get(i), b.get(i));
            differ += Arrays.equals(a.get(i), c.get(i)) ? 0 : 1;
        }
        assertTrue(differ > 32, differ + " of 64 differ under another seed");
    }

    @Test
    void erasingRejectsBoundsOutsideTheirRanges() {
        assertThrows(IllegalArgumentException.class, () -> new Erasing(1.5, 0.02, 0.4, 0.3, 3.3, 0, false));
        assertThrows(IllegalArgumentException.class, () -> new Erasing(0.5, 0, 0.4, 0.3, 3.3, 0, false));
        assertThrows(IllegalArgumentException.class, () -> new Erasing(0.5, 0.5, 0.4, 0.3, 3.3, 0, false));
        assertThrows(IllegalArgumentException.class, () -> new Erasing(0.5, 0.02, 1.1, 0.3, 3.3, 0, false));
        assertThrows(IllegalArgumentException.class, () -> new Erasing(0.5, 0.02, 0.4, 0, 3.3, 0, false));
        assertThrows(IllegalArgumentException.class, () -> new Erasing(0.5, 0.02, 0.4, 3, 2, 0, false));
        assertThrows(IllegalArgumentException.class, () -> new Erasing(0.5, 0.02, 0.4, 0.3, 3.3, 256, false));
        assertFalse(Erasing.NONE.enabled());
    }
}
