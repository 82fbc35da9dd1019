package io.chorus.worker.data;

import java.util.Arrays;
import java.util.Objects;

/**
 * Per-channel standardization {@code (pixel / 255 - mean[c]) / std[c]} applied to every example fed to
 * a network.
 *
 * <p>The statistics are fitted on the training images only, never on validation or test images, so
 * that no information about held-out data leaks into training; the same instance is then applied to
 * all data a member sees. Standard deviations are floored at {@link #MIN_STD} so that a constant
 * channel (all-black synthetic images, a padded border) cannot cause a division by zero.
 *
 * @param mean per-channel mean of {@code pixel / 255}
 * @param std  per-channel (population) standard deviation of {@code pixel / 255}, each positive
 */
public record Normalization(float[] mean, float[] std) implements java.io.Serializable {

    /** Smallest standard deviation {@link #fit} reports. */
    public static final float MIN_STD = 1e-6f;

    /**
     * Copies the arrays, so the instance stays immutable.
     *
     * @throws IllegalArgumentException if the arrays are empty, differ in length, or a std is not positive
     */
    public Normalization {
        Objects.requireNonNull(mean, "mean");
        Objects.requireNonNull(std, "std");
        if (mean.length == 0 || mean.length != std.length) {
            throw new IllegalArgumentException("mean and std need one value per channel, got " + mean.length
                    + " means and " + std.length + " stds");
        }
        for (int c = 0; c < std.length; c++) {
            if (!(std[c] > 0) || Float.isInfinite(std[c]) || !Float.isFinite(mean[c])) {
                throw new IllegalArgumentException("channel " + c + ": std must be positive and finite and mean"
                        + " finite, got mean " + mean[c] + ", std " + std[c]);
            }
        }
        mean = mean.clone();
        std = std.clone();
    }

    /** Fits per-channel statistics of {@code pixel / 255} over all images of {@code train}. */
    public static Normalization fit(ImageData train) {
        Objects.requireNonNull(train, "train");
        if (train.size() == 0) {
            throw new IllegalArgumentException("cannot fit normalization on an empty data set");
        }
        ImageShape shape = train.shape();
        int channels = shape.channels();
        int plane = shape.height() * shape.width();
        int per = shape.pixels();
        byte[] pixels = train.pixels();
        // Integer sums are exact; a 60000-image set sums to at most ~1.2e13 squared, far below 2^63.
        long[] sum = new long[channels];
        long[] sumSq = new long[channels];
        for (int i = 0, n = train.size(); i < n; i++) {
            int base = i * per;
            for (int c = 0; c < channels; c++) {
                long s = 0;
                long q = 0;
                for (int k = base + c * plane, end = k + plane; k < end; k++) {
                    int v = pixels[k] & 0xFF;
                    s += v;
                    q += v * v;
                }
                sum[c] += s;
                sumSq[c] += q;
            }
        }
        double count = (double) train.size() * plane;
        float[] mean = new float[channels];
        float[] std = new float[channels];
        for (int c = 0; c < channels; c++) {
            double m = sum[c] / count / 255.0;
            double var = sumSq[c] / count / (255.0 * 255.0) - m * m;
            mean[c] = (float) m;
            std[c] = (float) Math.max(Math.sqrt(Math.max(var, 0.0)), MIN_STD);
        }
        return new Normalization(mean, std);
    }

    /** Identity on {@code pixel / 255}: mean 0, std 1 for every channel. */
    public static Normalization identity(int channels) {
        float[] mean = new float[channels];
        float[] std = new float[channels];
        Arrays.fill(std, 1f);
        return new Normalization(mean, std);
    }

    /** Number of channels. */
    public int channels() {
        return mean.length;
    }

    /** A copy of the per-channel means. */
    @Override
    public float[] mean() {
        return mean.clone();
    }

    /** A copy of the per-channel standard deviations. */
    @Override
    public float[] std() {
        return std.clone();
    }

    /**
     * The normalized value of every possible pixel byte, per channel: {@code table[c][p]}. Lets the
     * batch builder normalize with one array lookup per pixel.
     */
    float[][] lookupTable() {
        float[][] table = new float[mean.length][256];
        for (int c = 0; c < mean.length; c++) {
            for (int p = 0; p < 256; p++) {
                table[c][p] = (float) ((p / 255.0 - mean[c]) / std[c]);
            }
        }
        return table;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Normalization other && Arrays.equals(mean, other.mean) && Arrays.equals(std, other.std);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(mean) + Arrays.hashCode(std);
    }

    @Override
    public String toString() {
        return "Normalization[mean=" + Arrays.toString(mean) + ", std=" + Arrays.toString(std) + "]";
    }
}
