package io.chorus.driver.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * How one epoch of a data-parallel member is cut into averaging rounds. Round {@code r} of an epoch takes
 * the next {@code replicas * averagingEvery} batches of the epoch's order; replica {@code p} trains
 * {@code averagingEvery} consecutive batches of them, then the replicas' parameters and optimizer states
 * are averaged. The last round of an epoch may leave replicas with fewer batches or none (they sit it out).
 *
 * <p>Every replica's iteration count, which drives the learning-rate schedule, advances by
 * {@code averagingEvery} per round, so one epoch is {@link #iterationsPerEpoch()} iterations of the member:
 * the schedule spans the same epochs as with one replica, each of its steps K times as large a batch.
 *
 * @param batchesPerEpoch minibatches of one epoch (as with one replica)
 */
public record ReplicaPlan(int batchesPerEpoch, int replicas, int averagingEvery) implements Serializable {

    /** Batches {@code [from, to)} of epoch {@code epoch} that one replica trains in one round. */
    public record Slice(int epoch, int from, int to) implements Serializable {
        public int batches() {
            return to - from;
        }
    }

    public ReplicaPlan {
        if (batchesPerEpoch < 1 || replicas < 1 || averagingEvery < 1) {
            throw new IllegalArgumentException("batches per epoch, replicas and averaging frequency must be positive, got "
                    + batchesPerEpoch + ", " + replicas + ", " + averagingEvery);
        }
    }

    public int roundsPerEpoch() {
        int perRound = replicas * averagingEvery;
        return (batchesPerEpoch + perRound - 1) / perRound;
    }

    /** The member's iterations per epoch: {@code averagingEvery} per round. */
    public int iterationsPerEpoch() {
        return roundsPerEpoch() * averagingEvery;
    }

    /** The 0-based epoch that iteration count {@code iteration} lies in (an epoch's end belongs to the next). */
    public int epochOf(long iteration) {
        return (int) (iteration / iterationsPerEpoch());
    }

    /** The 0-based round within its epoch that starts at iteration count {@code iteration}. */
    public int roundOf(long iteration) {
        long within = iteration % iterationsPerEpoch();
        if (within % averagingEvery != 0) {
            throw new IllegalArgumentException("iteration " + iteration + " is not the start of an averaging round of "
                    + averagingEvery + " iterations");
        }
        return (int) (within / averagingEvery);
    }

    /** The iteration count at the start of round {@code round} of epoch {@code epoch}. */
    public long iterationAt(int epoch, int round) {
        return (long) epoch * iterationsPerEpoch() + (long) round * averagingEvery;
    }

    /** What each replica trains in round {@code round} of epoch {@code epoch}: {@code replicas} slices, some maybe empty. */
    public List<Slice> round(int epoch, int round) {
        if (round < 0 || round >= roundsPerEpoch()) {
            throw new IllegalArgumentException("round " + round + " is not in [0, " + roundsPerEpoch() + ")");
        }
        List<Slice> slices = new ArrayList<>(replicas);
        int start = round * replicas * averagingEvery;
        for (int p = 0; p < replicas; p++) {
            int from = Math.min(batchesPerEpoch, start + p * averagingEvery);
            int to = Math.min(batchesPerEpoch, from + averagingEvery);
            slices.add(new Slice(epoch, from, to));
        }
        return slices;
    }
}
