package io.chorus.worker.data;

import java.util.SplittableRandom;

/**
 * Random erasing (Zhong et al. 2017): with probability {@code probability}, one axis-aligned rectangle of a
 * training image is overwritten, with the raw value {@code fill} or, if {@code noise}, with a uniformly random
 * raw value per pixel and channel. Its area is drawn uniformly from {@code [minArea, maxArea]} times the image's
 * area and its aspect (height over width) uniformly from {@code [minAspect, maxAspect]}; the rectangle is those
 * rounded to whole pixels, and a draw whose rounded rectangle does not fit in the image or falls outside either
 * range is drawn again, up to {@link #ATTEMPTS} times, after which the image is left as it is. So every erased
 * rectangle's area fraction and aspect lie within the bounds.
 *
 * @param probability chance that an image is erased at all; 0 for never
 * @param minArea     smallest fraction of the image's area, in (0, 1]
 * @param maxArea     largest fraction, in [minArea, 1]
 * @param minAspect   smallest height/width ratio, positive
 * @param maxAspect   largest ratio, at least minAspect
 * @param fill        raw value (0..255) written when not {@code noise}
 * @param noise       write uniform random raw values instead of {@code fill}
 */
public record Erasing(double probability, double minArea, double maxArea, double minAspect, double maxAspect,
                      int fill, boolean noise) implements java.io.Serializable {

    /** Draws of a rectangle per erased image before giving up. */
    public static final int ATTEMPTS = 100;

    /** Never erasing (the paper's area and aspect ranges, for when a probability is given). */
    public static final Erasing NONE = new Erasing(0, 0.02, 0.4, 0.3, 3.3, 0, false);

    /**
     * @throws IllegalArgumentException if a value is outside the range stated above
     */
    public Erasing {
        if (!(probability >= 0 && probability <= 1)) {
            throw new IllegalArgumentException("erasing probability must be in [0, 1], got " + probability);
        }
        if (!(minArea > 0 && minArea <= maxArea && maxArea <= 1)) {
            throw new IllegalArgumentException("erasing area must satisfy 0 < min <= max <= 1, got [" + minArea
                    + ", " + maxArea + "]");
        }
        if (!(minAspect > 0 && minAspect <= maxAspect && Double.isFinite(maxAspect))) {
            throw new IllegalArgumentException("erasing aspect must satisfy 0 < min <= max < inf, got [" + minAspect
                    + ", " + maxAspect + "]");
        }
        if (fill < 0 || fill > 255) {
            throw new IllegalArgumentException("erasing fill must be a raw value in [0, 255], got " + fill);
        }
    }

    /** Whether this ever erases anything. */
    public boolean enabled() {
        return probability > 0;
    }

    /**
     * Erases (perhaps) one rectangle of the normalized image at {@code dst[off ..]}: every value inside becomes
     * {@code table[c][fill]} (or {@code table[c][random raw value]}), the rest is untouched. Draws from
     * {@code random} only when enabled.
     */
    void apply(float[] dst, int off, ImageShape shape, float[][] table, SplittableRandom random) {
        if (!enabled() || random.nextDouble() >= probability) {
            return;
        }
        int h = shape.height();
        int w = shape.width();
        double total = (double) h * w;
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            double area = (minArea + (maxArea - minArea) * random.nextDouble()) * total;
            double aspect = minAspect + (maxAspect - minAspect) * random.nextDouble();
            int eh = (int) Math.round(Math.sqrt(area * aspect));
            int ew = (int) Math.round(Math.sqrt(area / aspect));
            double a = eh * ew / total;
            double r = ew == 0 ? Double.POSITIVE_INFINITY : (double) eh / ew;
            if (eh < 1 || ew < 1 || eh > h || ew > w || a < minArea || a > maxArea || r < minAspect || r > maxAspect) {
                continue;
            }
            int y0 = random.nextInt(h - eh + 1);
            int x0 = random.nextInt(w - ew + 1);
            for (int c = 0; c < shape.channels(); c++) {
                float[] t = table[c];
                int plane = off + c * h * w;
                for (int y = y0; y < y0 + eh; y++) {
                    for (int x = x0; x < x0 + ew; x++) {
                        dst[plane + y * w + x] = t[noise ? random.nextInt(256) : fill];
                    }
                }
            }
            return;
        }
    }
}
