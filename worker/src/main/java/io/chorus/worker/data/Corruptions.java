package io.chorus.worker.data;

import java.util.Objects;
import java.util.SplittableRandom;

import io.chorus.worker.Seeds;

/**
 * Deterministic corruptions of images, to measure how a model holds up under dataset shift (in the manner of
 * Hendrycks and Dietterich 2019, computed here rather than downloaded): rotation, translation, Gaussian noise,
 * Gaussian blur, contrast reduction, pixel dropout and elastic deformation, each at severities 1 to 5
 * ({@link Kind#parameter}), and severity 0 for the images themselves. Raw unsigned bytes in and out, labels kept; every result is rounded to
 * the nearest integer and clamped to [0, 255]. Pixels moved in from outside the image are 0.
 *
 * <p>The randomness (a rotation's or translation's direction, the noise, the dropped pixels, the displacement
 * field) of image {@code i} is seeded by {@code (seed, kind, severity, i)} only, so a corrupted image does not
 * depend on which other images are corrupted with it.
 */
public final class Corruptions {

    /** The smoothing of the elastic deformation's displacement field, in pixels (Simard et al. 2003 on MNIST). */
    public static final double ELASTIC_SIGMA = 4;

    /** Severities run from 1 (mild) to this; 0 is no corruption. */
    public static final int SEVERITIES = 5;

    /** A kind of corruption, with its parameter at each severity 0..5. */
    public enum Kind {
        /** Rotation about the image centre by this many degrees, clockwise or anticlockwise (bilinear). */
        ROTATION(0, 10, 20, 30, 45, 60),
        /** Translation by this many pixels along each axis, each in a random direction. */
        TRANSLATION(0, 1, 2, 3, 4, 6),
        /** Additive Gaussian noise of this standard deviation, in raw pixel units. */
        GAUSSIAN_NOISE(0, 8, 16, 24, 36, 48),
        /** Gaussian blur of this standard deviation, in pixels (separable kernel of radius ceil(3 sigma)). */
        GAUSSIAN_BLUR(0, 0.5, 0.75, 1.0, 1.5, 2.0),
        /** Deviations from the image's mean scaled by this factor: {@code x' = mean + c (x - mean)}. */
        CONTRAST(1, 0.6, 0.45, 0.3, 0.2, 0.1),
        /** This fraction of the pixel positions (all channels of each) set to 0. */
        DROPOUT(0, 0.1, 0.2, 0.3, 0.45, 0.6),
        /** Elastic deformation of this strength alpha, in pixels, smoothed with sigma {@link Corruptions#ELASTIC_SIGMA}. */
        ELASTIC(0, 8, 16, 24, 34, 48);

        private final double[] parameters;

        Kind(double... parameters) {
            this.parameters = parameters;
        }

        /** The parameter of this kind at {@code severity} (the identity's at 0). */
        public double parameter(int severity) {
            checkSeverity(severity);
            return parameters[severity];
        }
    }

    private Corruptions() {
    }

    /**
     * {@code data} with every image corrupted by {@code kind} at {@code severity}; {@code data} itself at
     * severity 0.
     *
     * @throws IllegalArgumentException if the severity is outside [0, 5]
     */
    public static ImageData corrupt(ImageData data, Kind kind, int severity, long seed) {
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(kind, "kind");
        double a = kind.parameter(severity);
        if (severity == 0) {
            return data;
        }
        ImageShape s = data.shape();
        int per = s.pixels();
        byte[] out = new byte[data.pixels().length];
        byte[] img = new byte[per];
        for (int i = 0; i < data.size(); i++) {
            System.arraycopy(data.pixels(), i * per, img, 0, per);
            SplittableRandom r = new SplittableRandom(Seeds.mix(seed, kind.ordinal(), severity, i));
            byte[] c = switch (kind) {
                case ROTATION -> rotate(img, s, r.nextBoolean() ? a : -a);
                case TRANSLATION -> translate(img, s, r.nextBoolean() ? (int) a : -(int) a,
                        r.nextBoolean() ? (int) a : -(int) a);
                case GAUSSIAN_NOISE -> noise(img, s, a, r);
                case GAUSSIAN_BLUR -> blur(img, s, a);
                case CONTRAST -> contrast(img, s, a);
                case DROPOUT -> dropout(img, s, a, r);
                case ELASTIC -> elastic(img, s, a, ELASTIC_SIGMA, r);
            };
            System.arraycopy(c, 0, out, i * per, per);
        }
        return new ImageData(s, out, data.labels().clone(), data.numClasses());
    }

    /**
     * One image rotated anticlockwise (as displayed, row 0 at the top) by {@code degrees} about its centre
     * {@code ((W - 1)/2, (H - 1)/2)}, bilinear; a negative angle turns it clockwise.
     */
    public static byte[] rotate(byte[] img, ImageShape s, double degrees) {
        int h = s.height();
        int w = s.width();
        double th = Math.toRadians(degrees);
        double cos = Math.cos(th);
        double sin = Math.sin(th);
        double cy = (h - 1) / 2.0;
        double cx = (w - 1) / 2.0;
        double[] v = new double[img.length];
        for (int c = 0; c < s.channels(); c++) {
            int base = c * h * w;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    // The source of (x, y): (x, y) turned back by the angle. With y downwards, an anticlockwise
                    // turn of (dx, dy) by th is (dx cos + dy sin, -dx sin + dy cos); its inverse is below.
                    double dx = x - cx;
                    double dy = y - cy;
                    double sx = cx + dx * cos - dy * sin;
                    double sy = cy + dx * sin + dy * cos;
                    v[base + y * w + x] = bilinear(img, base, h, w, sy, sx);
                }
            }
        }
        return bytes(v);
    }

    private static double bilinear(byte[] img, int base, int h, int w, double sy, double sx) {
        // Snap what rounding left a hair from a grid point, so a quarter turn moves pixels exactly.
        sy = snap(sy);
        sx = snap(sx);
        int y0 = (int) Math.floor(sy);
        int x0 = (int) Math.floor(sx);
        double fy = sy - y0;
        double fx = sx - x0;
        return (1 - fy) * ((1 - fx) * at(img, base, h, w, y0, x0) + fx * at(img, base, h, w, y0, x0 + 1))
                + fy * ((1 - fx) * at(img, base, h, w, y0 + 1, x0) + fx * at(img, base, h, w, y0 + 1, x0 + 1));
    }

    private static double snap(double v) {
        double r = Math.rint(v);
        return Math.abs(v - r) < 1e-9 ? r : v;
    }

    private static int at(byte[] img, int base, int h, int w, int y, int x) {
        return y < 0 || y >= h || x < 0 || x >= w ? 0 : img[base + y * w + x] & 0xFF;
    }

    /** One image moved down by {@code dy} and right by {@code dx} pixels (negative: up, left); zeros enter. */
    public static byte[] translate(byte[] img, ImageShape s, int dy, int dx) {
        int h = s.height();
        int w = s.width();
        byte[] out = new byte[img.length];
        for (int c = 0; c < s.channels(); c++) {
            int base = c * h * w;
            for (int y = 0; y < h; y++) {
                int sy = y - dy;
                if (sy < 0 || sy >= h) {
                    continue;
                }
                for (int x = 0; x < w; x++) {
                    int sx = x - dx;
                    if (sx >= 0 && sx < w) {
                        out[base + y * w + x] = img[base + sy * w + sx];
                    }
                }
            }
        }
        return out;
    }

    /** One image plus independent Gaussian noise of standard deviation {@code sigma} on every value. */
    public static byte[] noise(byte[] img, ImageShape s, double sigma, SplittableRandom r) {
        double[] v = new double[img.length];
        for (int k = 0; k < img.length; k++) {
            v[k] = (img[k] & 0xFF) + sigma * gaussian(r);
        }
        return bytes(v);
    }

    private static double gaussian(SplittableRandom r) {
        // Box-Muller; 1 - nextDouble() is in (0, 1], so the logarithm is finite.
        return Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
    }

    /**
     * The normalized 1-D Gaussian kernel of standard deviation {@code sigma}: {@code 2 ceil(3 sigma) + 1} taps,
     * {@code k[i] proportional to exp(-(i - r)^2 / (2 sigma^2))}, summing to 1.
     */
    public static double[] gaussianKernel(double sigma) {
        if (!(sigma > 0)) {
            throw new IllegalArgumentException("a blur's sigma must be positive, got " + sigma);
        }
        int radius = (int) Math.ceil(3 * sigma);
        double[] k = new double[2 * radius + 1];
        double sum = 0;
        for (int i = 0; i < k.length; i++) {
            k[i] = Math.exp(-(i - radius) * (i - radius) / (2 * sigma * sigma));
            sum += k[i];
        }
        for (int i = 0; i < k.length; i++) {
            k[i] /= sum;
        }
        return k;
    }

    /**
     * One image convolved with {@link #gaussianKernel} along rows and then columns, zeros beyond the border
     * (so intensity near the border leaks out, and elsewhere is conserved up to rounding).
     */
    public static byte[] blur(byte[] img, ImageShape s, double sigma) {
        double[] k = gaussianKernel(sigma);
        int plane = s.height() * s.width();
        double[] out = new double[img.length];
        for (int c = 0; c < s.channels(); c++) {
            double[] v = new double[plane];
            for (int p = 0; p < plane; p++) {
                v[p] = img[c * plane + p] & 0xFF;
            }
            System.arraycopy(blurPlane(v, s.height(), s.width(), k), 0, out, c * plane, plane);
        }
        return bytes(out);
    }

    /** One {@code h x w} plane convolved with the 1-D kernel {@code k} along rows, then columns; zeros outside. */
    private static double[] blurPlane(double[] v, int h, int w, double[] k) {
        int r = k.length / 2;
        double[] rows = new double[v.length];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double acc = 0;
                for (int i = Math.max(-r, -x); i <= Math.min(r, w - 1 - x); i++) {
                    acc += k[i + r] * v[y * w + x + i];
                }
                rows[y * w + x] = acc;
            }
        }
        double[] out = new double[v.length];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double acc = 0;
                for (int i = Math.max(-r, -y); i <= Math.min(r, h - 1 - y); i++) {
                    acc += k[i + r] * rows[(y + i) * w + x];
                }
                out[y * w + x] = acc;
            }
        }
        return out;
    }

    /**
     * One image deformed elastically (Simard et al. 2003): a displacement field of independent uniform values in
     * [-1, 1] per pixel and axis, smoothed by {@link #gaussianKernel}{@code (sigma)} and scaled by {@code alpha},
     * so no pixel moves by more than {@code alpha} along either axis; every channel is resampled (bilinear) at the
     * displaced positions, with zeros outside.
     */
    public static byte[] elastic(byte[] img, ImageShape s, double alpha, double sigma, SplittableRandom r) {
        int h = s.height();
        int w = s.width();
        double[] k = gaussianKernel(sigma);
        double[] fy = new double[h * w];
        double[] fx = new double[h * w];
        for (int p = 0; p < h * w; p++) {
            fy[p] = 2 * r.nextDouble() - 1;
            fx[p] = 2 * r.nextDouble() - 1;
        }
        fy = blurPlane(fy, h, w, k);
        fx = blurPlane(fx, h, w, k);
        double[] v = new double[img.length];
        for (int c = 0; c < s.channels(); c++) {
            int base = c * h * w;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int p = y * w + x;
                    v[base + p] = bilinear(img, base, h, w, y + alpha * fy[p], x + alpha * fx[p]);
                }
            }
        }
        return bytes(v);
    }

    /** One image with its deviations from its own mean (over all its values) scaled by {@code factor}. */
    public static byte[] contrast(byte[] img, ImageShape s, double factor) {
        double mean = 0;
        for (byte b : img) {
            mean += b & 0xFF;
        }
        mean /= img.length;
        double[] v = new double[img.length];
        for (int k = 0; k < img.length; k++) {
            v[k] = mean + factor * ((img[k] & 0xFF) - mean);
        }
        return bytes(v);
    }

    /**
     * One image with exactly {@code round(fraction * H * W)} pixel positions, chosen uniformly without
     * replacement, set to 0 in every channel.
     */
    public static byte[] dropout(byte[] img, ImageShape s, double fraction, SplittableRandom r) {
        int positions = s.height() * s.width();
        int drop = (int) Math.round(fraction * positions);
        int[] order = new int[positions];
        for (int p = 0; p < positions; p++) {
            order[p] = p;
        }
        byte[] out = img.clone();
        for (int k = 0; k < drop; k++) {
            int j = k + r.nextInt(positions - k);
            int t = order[k];
            order[k] = order[j];
            order[j] = t;
            for (int c = 0; c < s.channels(); c++) {
                out[c * positions + order[k]] = 0;
            }
        }
        return out;
    }

    private static byte[] bytes(double[] v) {
        byte[] out = new byte[v.length];
        for (int k = 0; k < v.length; k++) {
            out[k] = (byte) (int) Math.max(0, Math.min(255, Math.rint(v[k])));
        }
        return out;
    }

    private static void checkSeverity(int severity) {
        if (severity < 0 || severity > SEVERITIES) {
            throw new IllegalArgumentException("a severity must be in [0, " + SEVERITIES + "], got " + severity);
        }
    }
}
