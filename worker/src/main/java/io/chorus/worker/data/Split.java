package io.chorus.worker.data;

import java.util.Arrays;
import java.util.Objects;
import java.util.SplittableRandom;

import io.chorus.worker.Seeds;

/**
 * Training data divided into the part a member trains on and a held-out validation part.
 *
 * <p>The validation examples are drawn by the JOB seed, not a member seed, so every member of an
 * ensemble holds out the same examples: their validation scores are then comparable and ensemble
 * combinations can be validated on data no member trained on. The test set is never used for this.
 *
 * @param train      the examples to train on, in their original order
 * @param validation the held-out examples, in their original relative order; empty if none
 */
public record Split(ImageData train, ImageData validation) {

    private static final long SALT = 0x53504C4954L; // "SPLIT"

    /**
     * @throws IllegalArgumentException if the parts disagree on image shape or class count
     */
    public Split {
        Objects.requireNonNull(train, "train");
        Objects.requireNonNull(validation, "validation");
        if (!train.shape().equals(validation.shape()) || train.numClasses() != validation.numClasses()) {
            throw new IllegalArgumentException("train (" + train + ") and validation (" + validation
                    + ") must have the same image shape and number of classes");
        }
    }

    /**
     * Holds out a seeded random subset of {@code validationCount} examples.
     *
     * @param all             the full training data
     * @param validationCount examples to hold out; 0 for none
     * @param seed            the job seed
     * @throws IllegalArgumentException if {@code validationCount} is negative or not smaller than
     *                                  {@code all.size()} (nothing would be left to train on)
     */
    public static Split carve(ImageData all, int validationCount, long seed) {
        Objects.requireNonNull(all, "all");
        if (validationCount < 0) {
            throw new IllegalArgumentException("validation count must not be negative, got " + validationCount);
        }
        int n = all.size();
        if (validationCount >= n) {
            throw new IllegalArgumentException("validation count " + validationCount
                    + " must be smaller than the " + n + " training examples, leaving some to train on");
        }
        if (validationCount == 0) {
            return new Split(all, ImageData.empty(all.shape(), all.numClasses()));
        }
        // Partial Fisher-Yates: the first validationCount slots become a uniform random subset.
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        SplittableRandom random = new SplittableRandom(Seeds.mix(SALT, seed));
        for (int i = 0; i < validationCount; i++) {
            int j = i + random.nextInt(n - i);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        boolean[] held = new boolean[n];
        int[] validation = Arrays.copyOf(order, validationCount);
        Arrays.sort(validation);
        for (int v : validation) {
            held[v] = true;
        }
        int[] train = new int[n - validationCount];
        for (int i = 0, k = 0; i < n; i++) {
            if (!held[i]) {
                train[k++] = i;
            }
        }
        return new Split(all.select(train), all.select(validation));
    }
}
