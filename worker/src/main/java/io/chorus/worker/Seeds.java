package io.chorus.worker;

import java.util.SplittableRandom;

/**
 * Every seed Chorus uses, derived from structured inputs (job or member seed, epoch, batch, iteration,
 * purpose).
 *
 * <p>Member seeds are all drawn from the job seed up front, so member {@code i} gets the same seed
 * whichever executor it lands on and in whatever order members run.
 *
 * <p>Within a member, Chorus must reproduce any minibatch and any dropout mask bit for bit from its
 * coordinates alone, so that a member resumed after a crash continues exactly where it stopped. A
 * generator whose state is carried from batch to batch cannot do that without replaying everything
 * before; a seed computed from the coordinates can. The inputs are combined with the SplitMix64
 * finalizer, so nearby inputs (epoch 3 and epoch 4, member 0 and member 1) give unrelated streams, and a
 * different {@code purpose} salt keeps e.g. the epoch permutation and the augmentation draws of the same
 * epoch independent.
 */
public final class Seeds {

    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private Seeds() {
    }

    /** The seeds of members 0..n-1 for a job seed; member i's seed does not depend on n. */
    public static long[] memberSeeds(long jobSeed, int members) {
        if (members < 1) {
            throw new IllegalArgumentException("members must be at least 1, got " + members);
        }
        SplittableRandom root = new SplittableRandom(jobSeed);
        long[] seeds = new long[members];
        for (int i = 0; i < members; i++) {
            seeds[i] = root.nextLong();
        }
        return seeds;
    }

    /** A seed determined by {@code purpose} and {@code parts}, in order. */
    public static long mix(long purpose, long... parts) {
        long h = mix64(purpose + GOLDEN);
        for (long p : parts) {
            h = mix64(h ^ mix64(p + GOLDEN));
            h += GOLDEN;
        }
        return mix64(h);
    }

    /** The SplitMix64 / MurmurHash3 64-bit finalizer: a bijection with full avalanche. */
    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
