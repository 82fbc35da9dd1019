package io.chorus.worker.train;

/**
 * What one epoch of one member measured.
 *
 * @param epoch           1-based
 * @param trainLoss       mean minibatch objective (cross-entropy plus L2 penalty) over the epoch
 * @param valLoss         mean negative log-likelihood on the validation split (NaN without one)
 * @param valAccuracy     accuracy on the validation split (NaN without one)
 * @param lr              learning rate of the epoch's last update
 * @param imagesPerSecond training images per second, evaluation excluded
 * @param seconds         wall time of the epoch's training, evaluation excluded
 * @param evalSeconds     wall time of the epoch's validation pass
 */
public record EpochMetrics(int epoch, double trainLoss, double valLoss, double valAccuracy, double lr,
                           double imagesPerSecond, double seconds, double evalSeconds) {
}
