package io.chorus.worker.train;

import io.chorus.worker.zoo.ModelSpec;

/**
 * Everything that determines one member's training. Together with the thread count, {@code seed}
 * fully determines the member's result: its initialization, data order, augmentation, bootstrap sample
 * and dropout masks are all derived from it.
 *
 * @param id    member index within the ensemble, from 0
 * @param seed  the member's own seed, drawn from the job seed before any member starts ({@link Seeds})
 */
public record MemberSpec(int id, long seed, ModelSpec model, DataSpec data, TrainSpec train)
        implements java.io.Serializable {
}
