package io.chorus.worker.train;

import io.chorus.worker.data.Augmentation;

/**
 * Where a member's data comes from and how it is presented.
 *
 * @param dir        directory (any Hadoop URI) holding the IDX files
 * @param classes    number of classes; every label must lie in [0, classes)
 * @param limit      use only the first {@code limit} training examples (0 = all), before the validation split
 * @param validation examples carved from the training data, by the job seed, for validation
 * @param augmentation seeded random shift and flip, per member
 * @param bootstrap  resample the training examples with replacement per member (bagging)
 */
public record DataSpec(String dir, int classes, int limit, int validation, Augmentation augmentation, boolean bootstrap)
        implements java.io.Serializable {
}
