package io.chorus.worker.data;

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
 * <p>The randomness is owned by {@link BatchSource}, which seeds it per member, epoch and batch.
 *
 * @param maxShift largest shift in pixels, in each direction; 0 for none
 * @param flip     whether to mirror images horizontally with probability 1/2
 */
public record Augmentation(int maxShift, boolean flip) implements java.io.Serializable {

    /** No augmentation. */
    public static final Augmentation NONE = new Augmentation(0, false);

    /**
     * @throws IllegalArgumentException if {@code maxShift} is negative
     */
    public Augmentation {
        if (maxShift < 0) {
            throw new IllegalArgumentException("maxShift must not be negative, got " + maxShift);
        }
    }

    /** Whether this changes any image at all. */
    public boolean enabled() {
        return maxShift > 0 || flip;
    }
}
