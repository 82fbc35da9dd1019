package io.chorus.worker.data;

import java.util.Arrays;
import java.util.Objects;

/**
 * Labelled images held in memory as raw unsigned bytes.
 *
 * <p>Chorus keeps a whole data set (Fashion-MNIST train is 47 MB) as one flat {@code byte[]} rather
 * than as an INDArray of floats: it is four times smaller, it is cheap to subset and to ship, and
 * every member of an ensemble normalizes and augments its own minibatches from it on the fly
 * (see {@link BatchSource}). Image {@code i} occupies
 * {@code pixels[i * shape.pixels() .. (i + 1) * shape.pixels())}, laid out channels-first
 * ({@code C, H, W}), which is the layout Chorus networks consume. Pixel values are unsigned: read
 * them as {@code pixels[k] & 0xFF}.
 *
 * <p>The arrays are shared, not copied (copying 47 MB per subset would be wasteful); an
 * {@code ImageData} must be treated as immutable and nobody may write into its arrays.
 * {@link #equals} and {@link #hashCode} compare contents.
 *
 * @param shape      shape of every image
 * @param pixels     {@code size() * shape.pixels()} unsigned bytes, channels-first per image
 * @param labels     class of every image, each in {@code [0, numClasses)}
 * @param numClasses number of classes of the task (not necessarily all present in this subset)
 */
public record ImageData(ImageShape shape, byte[] pixels, int[] labels, int numClasses) implements java.io.Serializable {

    /**
     * Checks that the arrays are consistent with each other and the labels are in range.
     *
     * @throws IllegalArgumentException if they are not
     */
    public ImageData {
        Objects.requireNonNull(shape, "shape");
        Objects.requireNonNull(pixels, "pixels");
        Objects.requireNonNull(labels, "labels");
        if (numClasses < 1) {
            throw new IllegalArgumentException("numClasses must be at least 1, got " + numClasses);
        }
        long expected = (long) labels.length * shape.pixels();
        if (pixels.length != expected) {
            throw new IllegalArgumentException("pixels has " + pixels.length + " values but " + labels.length
                    + " images of " + shape + " need " + expected);
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= numClasses) {
                throw new IllegalArgumentException("label " + labels[i] + " of image " + i
                        + " is outside [0," + numClasses + ")");
            }
        }
    }

    /** An {@code ImageData} with no images, e.g. the validation part of a split without validation. */
    public static ImageData empty(ImageShape shape, int numClasses) {
        return new ImageData(shape, new byte[0], new int[0], numClasses);
    }

    /** Number of images. */
    public int size() {
        return labels.length;
    }

    /**
     * The images at the given indices, in that order; an index may repeat (bootstrap samples do).
     *
     * @throws IllegalArgumentException if an index is outside {@code [0, size())}
     */
    public ImageData select(int[] indices) {
        Objects.requireNonNull(indices, "indices");
        int per = shape.pixels();
        long total = (long) indices.length * per;
        if (total > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(indices.length + " images of " + shape + " do not fit in one array");
        }
        byte[] outPixels = new byte[(int) total];
        int[] outLabels = new int[indices.length];
        for (int k = 0; k < indices.length; k++) {
            int i = indices[k];
            if (i < 0 || i >= labels.length) {
                throw new IllegalArgumentException("index " + i + " at position " + k
                        + " is outside [0," + labels.length + ")");
            }
            System.arraycopy(pixels, i * per, outPixels, k * per, per);
            outLabels[k] = labels[i];
        }
        return new ImageData(shape, outPixels, outLabels, numClasses);
    }

    /**
     * The first {@code n} images; {@code this} itself if {@code n >= size()}. Useful to train quickly
     * on a prefix of a large data set.
     *
     * @throws IllegalArgumentException if {@code n} is negative
     */
    public ImageData limit(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("limit must not be negative, got " + n);
        }
        if (n >= labels.length) {
            return this;
        }
        return new ImageData(shape, Arrays.copyOf(pixels, n * shape.pixels()), Arrays.copyOf(labels, n), numClasses);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ImageData other
                && numClasses == other.numClasses
                && shape.equals(other.shape)
                && Arrays.equals(labels, other.labels)
                && Arrays.equals(pixels, other.pixels);
    }

    @Override
    public int hashCode() {
        return Objects.hash(shape, numClasses, Arrays.hashCode(labels), Arrays.hashCode(pixels));
    }

    @Override
    public String toString() {
        return "ImageData[" + size() + " images of " + shape + ", " + numClasses + " classes]";
    }
}
