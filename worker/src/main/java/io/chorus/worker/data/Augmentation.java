package io.chorus.worker.data;

import java.util.Objects;

/**
 * Random label-preserving perturbations of training images, a cheap regularizer that also makes
 * ensemble members see different views of the same data.
 *
 * <p>Each training example is shifted by {@code dy, dx}, drawn independently and uniformly from
 * {@code [-maxShift, maxShift]}, with vacated pixels filled with raw value 0 (the shift is applied to
 * the raw pixels, before normalization, so the fill is "black", not "average"); if {@code flip}, the
 * image is first mirrored left-right with probability 1/2. Horizontal flips suit clothing and natural
 * images but not digits, hence the switch. Evaluation data is never augmented.
 *
 * <p>With {@code cropPadding} p, the image is also padded with p rows and columns of raw 0 on every side and
 * a window of its original size is cropped at a uniformly random offset in {@code [0, 2p]} along each axis: a
 * further shift by {@code p - offset} in {@code [-p, p]}, drawn after the shift and flip above. Then, with
 * {@code erase}, a random rectangle may be overwritten ({@link Erasing}). A crop padding of 0 and erasing
 * switched off draw nothing, so they leave the shift and flip of every batch exactly as they were without them.
 *
 * <p>The randomness is owned by {@link BatchSource}, which seeds it per member, epoch and batch.
 *
 * @param maxShift    largest shift in pixels, in each direction; 0 for none
 * @param flip        whether to mirror images horizontally with probability 1/2
 * @param cropPadding zero padding of the random crop, in pixels; 0 for none
 * @param erase       random erasing; {@link Erasing#NONE} for none
 */
public record Augmentation(int maxShift, boolean flip, int cropPadding, Erasing erase) implements java.io.Serializable {

    /** No augmentation. */
    public static final Augmentation NONE = new Augmentation(0, false);

    /**
     * @throws IllegalArgumentException if {@code maxShift} or {@code cropPadding} is negative
     */
    public Augmentation {
        if (maxShift < 0) {
            throw new IllegalArgumentException("maxShift must not be negative, got " + maxShift);
        }
        if (cropPadding < 0) {
            throw new IllegalArgumentException("cropPadding must not be negative, got " + cropPadding);
        }
        Objects.requireNonNull(erase, "erase");
    }

    /** Shift and flip only. */
    public Augmentation(int maxShift, boolean flip) {
        this(maxShift, flip, 0, Erasing.NONE);
    }

    /** Whether this changes any image at all. */
    public boolean enabled() {
        return maxShift > 0 || flip || cropPadding > 0 || erase.enabled();
    }
}
