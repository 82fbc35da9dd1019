package io.chorus.ensemble.heads;

/**
 * A classifier head to train on precomputed backbone features (see {@link HeadTrainer}).
 *
 * @param layers    hidden fully connected layers before the softmax output, at least 0 (0: softmax
 *                  regression on the features)
 * @param hidden    units per hidden layer, at least 1 when {@code layers > 0}; ignored when {@code layers == 0}
 * @param epochs    passes over the training features, at least 1
 * @param batch     examples per minibatch, at least 1 (the last batch of an epoch may be smaller)
 * @param lr        learning rate of SGD with Nesterov momentum 0.9, finite and positive
 * @param seed      seed of the weight initialization, the example order of every epoch and the bootstrap
 *                  sample
 * @param bootstrap train on a bootstrap resample (n draws with replacement from the n examples, drawn from
 *                  {@code seed}) instead of the examples themselves
 */
public record HeadSpec(int layers, int hidden, int epochs, int batch, double lr, long seed, boolean bootstrap)
        implements java.io.Serializable {

    /** @throws IllegalArgumentException naming the offending field and its value */
    public HeadSpec {
        if (layers < 0) {
            throw new IllegalArgumentException("layers must be >= 0, got " + layers);
        }
        if (layers > 0 && hidden < 1) {
            throw new IllegalArgumentException("hidden must be >= 1 when layers > 0, got " + hidden);
        }
        if (epochs < 1) {
            throw new IllegalArgumentException("epochs must be >= 1, got " + epochs);
        }
        if (batch < 1) {
            throw new IllegalArgumentException("batch must be >= 1, got " + batch);
        }
        if (!(lr > 0 && Double.isFinite(lr))) {
            throw new IllegalArgumentException("lr must be a finite value > 0, got " + lr);
        }
    }
}
