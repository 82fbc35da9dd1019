package io.chorus.worker.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import io.chorus.worker.data.Corruptions.Kind;

class CorruptionsTest {
    private static final ImageShape S = new ImageShape(9, 9, 1);

    private static byte[] delta(ImageShape s, int y, int x, int value) {
        byte[] img = new byte[s.pixels()];
        img[y * s.width() + x] = (byte) value;
        return img;
    }

    private static int v(byte[] img, ImageShape s, int y, int x) {
        return img[y * s.width() + x] & 0xFF;
    }

    private static long sum(byte[] img) {
        long t = 0;
        for (byte b : img) {
            t += b & 0xFF;
        }
        return t;
    }

    @Test
    void aQuarterTurnMovesABrightPixelWhereItShould() {
        // Top middle of a 9x9 image, (row 0, column 4): anticlockwise it goes to the left middle (4, 0),
        // clockwise to the right middle (4, 8); the bright pixel at (1, 6) goes to (2, 1) anticlockwise.
        byte[] img = delta(S, 0, 4, 200);
        assertArrayEquals(delta(S, 4, 0, 200), Corruptions.rotate(img, S, 90));
        assertArrayEquals(delta(S, 4, 8, 200), Corruptions.rotate(img, S, -90));
        assertArrayEquals(delta(S, 2, 1, 255), Corruptions.rotate(delta(S, 1, 6, 255), S, 90));
        assertArrayEquals(delta(S, 8, 4, 200), Corruptions.rotate(img, S, 180));
        assertArrayEquals(img, Corruptions.rotate(img, S, 0));
        // A small turn spreads the pixel over its bilinear neighbours, near where the exact turn lands.
        byte[] small = Corruptions.rotate(delta(S, 0, 4, 255), S, 10);
        assertTrue(sum(small) > 0 && v(small, S, 0, 4) < 255);
    }

    @Test
    void translationByKMovesAPixelByKAndZerosEnter() {
        byte[] img = delta(S, 3, 4, 99);
        for (int k = 1; k <= 4; k++) {
            assertArrayEquals(delta(S, 3 + k, 4 - k, 99), Corruptions.translate(img, S, k, -k));
        }
        byte[] full = new byte[S.pixels()];
        java.util.Arrays.fill(full, (byte) 7);
        byte[] moved = Corruptions.translate(full, S, 0, 2);
        for (int y = 0; y < 9; y++) {
            assertEquals(0, v(moved, S, y, 0));
            assertEquals(0, v(moved, S, y, 1));
            assertEquals(7, v(moved, S, y, 2));
        }
        // Through corrupt(): severity 3 is 3 pixels along each axis, in some direction.
        ImageData d = new ImageData(S, img, new int[] {1}, 2);
        byte[] c = Corruptions.corrupt(d, Kind.TRANSLATION, 3, 5).pixels();
        int at = -1;
        for (int p = 0; p < c.length; p++) {
            if (c[p] != 0) {
                at = p;
            }
        }
        assertEquals(3, Math.abs(at / 9 - 3));
        assertEquals(3, Math.abs(at % 9 - 4));
    }

    @Test
    void blurSpreadsADeltaIntoTheKernelAndConservesIntensityAwayFromTheBorder() {
        ImageShape s = new ImageShape(15, 15, 1);
        for (double sigma : new double[] {0.5, 1.0, 2.0}) {
            double[] k = Corruptions.gaussianKernel(sigma);
            assertEquals(2 * (int) Math.ceil(3 * sigma) + 1, k.length);
            int r = k.length / 2;
            byte[] out = Corruptions.blur(delta(s, 7, 7, 255), s, sigma);
            for (int y = 0; y < 15; y++) {
                for (int x = 0; x < 15; x++) {
                    int dy = y - 7;
                    int dx = x - 7;
                    double expected = Math.abs(dy) <= r && Math.abs(dx) <= r ? 255 * k[dy + r] * k[dx + r] : 0;
                    assertEquals(expected, v(out, s, y, x), 0.5 + 1e-9, "sigma " + sigma + " at " + y + "," + x);
                }
            }
            // The kernel's shape: symmetric, peaked in the middle, summing to 1.
            double total = 0;
            for (int i = 0; i < k.length; i++) {
                total += k[i];
                assertEquals(k[i], k[k.length - 1 - i], 1e-15);
                assertTrue(i == r || k[i] < k[r]);
            }
            assertEquals(1.0, total, 1e-12);
            assertEquals(255, sum(out), 0.5 * 15 * 15, "intensity kept up to rounding");
        }
        // A flat block away from the borders keeps its total up to rounding; at the border some leaks out.
        byte[] block = new byte[s.pixels()];
        for (int y = 5; y < 10; y++) {
            for (int x = 5; x < 10; x++) {
                block[y * 15 + x] = (byte) 200;
            }
        }
        assertEquals(sum(block), sum(Corruptions.blur(block, s, 1.0)), 0.5 * 15 * 15);
        byte[] edge = new byte[s.pixels()];
        java.util.Arrays.fill(edge, 0, 15 * 3, (byte) 200);
        assertTrue(sum(Corruptions.blur(edge, s, 1.0)) < sum(edge) - 15 * 50, "the top rows lose intensity");
    }

    @Test
    void contrastKeepsTheMeanAndScalesDeviationsByTheFactor() {
        byte[] img = new byte[S.pixels()];
        for (int p = 0; p < img.length; p++) {
            img[p] = (byte) (p % 2 == 0 ? 40 : 200); // 41 values of 40, 40 of 200
        }
        double mean = (41 * 40 + 40 * 200) / 81.0;
        for (int sev = 1; sev <= 5; sev++) {
            double c = Kind.CONTRAST.parameter(sev);
            byte[] out = Corruptions.corrupt(new ImageData(S, img, new int[] {0}, 1), Kind.CONTRAST, sev, 1).pixels();
            assertEquals(Math.rint(mean + c * (40 - mean)), out[0] & 0xFF, 0.0);
            assertEquals(Math.rint(mean + c * (200 - mean)), out[1] & 0xFF, 0.0);
            assertEquals(mean, sum(out) / 81.0, 0.5);
        }
        assertTrue(Kind.CONTRAST.parameter(5) < Kind.CONTRAST.parameter(1));
    }

    @Test
    void noiseHasTheStatedDeviationAndFollowsTheSeed() {
        ImageShape big = new ImageShape(200, 200, 1);
        byte[] flat = new byte[big.pixels()];
        java.util.Arrays.fill(flat, (byte) 128);
        ImageData d = new ImageData(big, flat, new int[] {0}, 1);
        for (int sev = 1; sev <= 3; sev++) { // 2.5 sigma or more from the clamps at 0 and 255
            double sigma = Kind.GAUSSIAN_NOISE.parameter(sev);
            byte[] out = Corruptions.corrupt(d, Kind.GAUSSIAN_NOISE, sev, 42).pixels();
            double m = 0;
            double sq = 0;
            for (byte b : out) {
                m += (b & 0xFF) - 128;
                sq += Math.pow((b & 0xFF) - 128, 2);
            }
            m /= out.length;
            double sd = Math.sqrt(sq / out.length - m * m);
            // 40 000 samples: the standard deviation's own error is about sigma / 283; rounding adds 1/12.
            double expected = Math.sqrt(sigma * sigma + 1.0 / 12);
            assertEquals(expected, sd, 0.03 * expected, "severity " + sev);
            assertEquals(0, m, 0.1 * sigma);
        }
        assertArrayEquals(Corruptions.corrupt(d, Kind.GAUSSIAN_NOISE, 2, 42).pixels(),
                Corruptions.corrupt(d, Kind.GAUSSIAN_NOISE, 2, 42).pixels(), "the same seed, the same noise");
        assertFalse(java.util.Arrays.equals(Corruptions.corrupt(d, Kind.GAUSSIAN_NOISE, 2, 42).pixels(),
                Corruptions.corrupt(d, Kind.GAUSSIAN_NOISE, 2, 43).pixels()), "another seed, other noise");
    }

    @Test
    void dropoutZeroesTheStatedFractionOfPositionsInEveryChannel() {
        ImageShape rgb = new ImageShape(10, 10, 3);
        byte[] full = new byte[rgb.pixels()];
        java.util.Arrays.fill(full, (byte) 255);
        for (int sev = 1; sev <= 5; sev++) {
            double f = Kind.DROPOUT.parameter(sev);
            byte[] out = Corruptions.dropout(full, rgb, f, new SplittableRandom(sev));
            int zeros = 0;
            for (int p = 0; p < 100; p++) {
                boolean z = out[p] == 0;
                assertEquals(z, out[100 + p] == 0);
                assertEquals(z, out[200 + p] == 0, "a dropped position is dropped in every channel");
                zeros += z ? 1 : 0;
            }
            assertEquals(Math.round(f * 100), zeros);
        }
    }

    @Test
    void severityZeroIsTheDataItselfAndLabelsAreKept() {
        byte[] px = new byte[2 * S.pixels()];
        new SplittableRandom(3).nextBytes(px);
        ImageData d = new ImageData(S, px, new int[] {1, 0}, 2);
        byte[] before = px.clone();
        for (Kind k : Kind.values()) {
            assertSame(d, Corruptions.corrupt(d, k, 0, 9));
            for (int sev = 1; sev <= Corruptions.SEVERITIES; sev++) {
                ImageData c = Corruptions.corrupt(d, k, sev, 9);
                assertArrayEquals(new int[] {1, 0}, c.labels());
                assertEquals(d.shape(), c.shape());
                assertEquals(c, Corruptions.corrupt(d, k, sev, 9), k + " " + sev + " is deterministic");
                assertFalse(java.util.Arrays.equals(px, c.pixels()), k + " " + sev + " changes something");
            }
            assertThrows(IllegalArgumentException.class, () -> Corruptions.corrupt(d, k, 6, 9));
            assertThrows(IllegalArgumentException.class, () -> Corruptions.corrupt(d, k, -1, 9));
        }
        assertArrayEquals(before, px, "the input is not written to");
        // Image i's corruption does not depend on the images around it.
        ImageData second = d.select(new int[] {1});
        byte[] alone = Corruptions.corrupt(second, Kind.GAUSSIAN_NOISE, 3, 9).pixels();
        byte[] inPair = Corruptions.corrupt(d.select(new int[] {0, 1}), Kind.GAUSSIAN_NOISE, 3, 9).pixels();
        assertFalse(java.util.Arrays.equals(alone, java.util.Arrays.copyOfRange(inPair, S.pixels(), 2 * S.pixels())),
                "seeded by position: image 1 of a pair is not image 0 alone");
        assertArrayEquals(Corruptions.corrupt(d.select(new int[] {0}), Kind.GAUSSIAN_NOISE, 3, 9).pixels(),
                java.util.Arrays.copyOfRange(inPair, 0, S.pixels()), "image 0 is the same alone or in a pair");
    }

    @Test
    void elasticMovesNoPixelFurtherThanAlphaAndFollowsTheSeed() {
        int n = 100;
        ImageShape s = new ImageShape(n, n, 1);
        byte[] ramp = new byte[s.pixels()];
        for (int y = 0; y < n; y++) {
            for (int x = 0; x < n; x++) {
                ramp[y * n + x] = (byte) (x * 2); // 2 per column: a value tells where along x it came from
            }
        }
        assertArrayEquals(ramp, Corruptions.elastic(ramp, s, 0, 4, new SplittableRandom(1)), "alpha 0: unchanged");
        for (int sev = 1; sev <= 5; sev++) {
            double alpha = Kind.ELASTIC.parameter(sev);
            byte[] out = Corruptions.elastic(ramp, s, alpha, Corruptions.ELASTIC_SIGMA, new SplittableRandom(sev));
            int reach = (int) Math.ceil(alpha) + 1;
            int moved = 0;
            for (int y = 0; y < n; y++) {
                for (int x = 0; x < n; x++) {
                    int v = out[y * n + x] & 0xFF;
                    // Zeros from outside only lower a value; inside, it comes from at most alpha columns away.
                    assertTrue(v <= 2 * Math.min(x + alpha, n - 1) + 0.5, "severity " + sev + " at " + y + "," + x);
                    if (y >= reach && y < n - reach && x >= reach && x < n - reach) {
                        assertTrue(Math.abs(v - 2 * x) <= 2 * alpha + 0.5, "severity " + sev + " at " + y + "," + x);
                        moved += v != 2 * x ? 1 : 0;
                    }
                }
            }
            assertTrue(moved > 0, "severity " + sev + " moves something inside");
        }
        ImageData d = new ImageData(s, ramp, new int[] {0}, 1);
        assertArrayEquals(Corruptions.corrupt(d, Kind.ELASTIC, 3, 5).pixels(),
                Corruptions.corrupt(d, Kind.ELASTIC, 3, 5).pixels());
        assertFalse(java.util.Arrays.equals(Corruptions.corrupt(d, Kind.ELASTIC, 3, 5).pixels(),
                Corruptions.corrupt(d, Kind.ELASTIC, 3, 6).pixels()));
    }
}
