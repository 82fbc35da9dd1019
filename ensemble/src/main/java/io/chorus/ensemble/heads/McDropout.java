package io.chorus.ensemble.heads;

import java.util.Objects;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Monte Carlo dropout restricted to the classifier head: the backbone runs once in inference mode, then
 * the head runs {@code passes} times with dropout active and the softmax outputs are averaged.
 *
 * <p>The stochastic passes are training-mode forward passes of the head graph only (no gradient, no
 * parameter change). Dropout is applied where the head's configuration puts it: for Chorus members the
 * input of every fully connected layer of the head but the first (of the output layer alone when it is the
 * whole head), each unit dropped with the member's {@code ModelSpec.dropout} probability (DL4J's
 * {@code Dropout(1 - dropout)}, which takes the retain probability) and kept units scaled by
 * {@code 1 / (1 - dropout)}. Training
 * mode also affects batch normalization: a batch normalization layer inside the head then normalizes
 * with the statistics of the {@code images} batch instead of its global statistics, so the result
 * depends on the batch composition; the global statistics themselves are not changed.
 */
public final class McDropout {

    private McDropout() {
    }

    /**
     * The mean of {@code passes} dropout-perturbed softmax outputs of {@code head} on the features of
     * {@code images}, {@code [N, classes]} FLOAT, accumulated in DOUBLE. Before the first pass ND4J's
     * global generator is seeded with {@code seed} (a side effect on that generator), so the same
     * arguments give the same result. A head without dropout (and without batch normalization) gives
     * exactly its deterministic output.
     *
     * @param backbone the member's backbone; one pass is counted
     * @param head     a head on the backbone's features, usually {@link Backbone#memberHead()}
     * @param images   a batch of images
     * @param passes   number of stochastic passes, at least 1
     * @param seed     seed of the dropout masks
     * @throws IllegalArgumentException if {@code passes < 1} or the head does not fit the backbone
     */
    public static INDArray predict(Backbone backbone, ComputationGraph head, INDArray images, int passes, long seed) {
        Objects.requireNonNull(backbone, "backbone");
        Objects.requireNonNull(head, "head");
        Objects.requireNonNull(images, "images");
        if (passes < 1) {
            throw new IllegalArgumentException("passes must be >= 1, got " + passes);
        }
        HeadChecks.requireFits(head, backbone.featureSize(), "head");
        INDArray features = backbone.features(images);
        String output = head.getConfiguration().getNetworkOutputs().get(0);
        Nd4j.getRandom().setSeed(seed);
        INDArray sum = null;
        for (int p = 0; p < passes; p++) {
            // A training-mode feed-forward (detached activations) rather than output(true, ...), which in
            // DL4J 1.0.0-M2.1 fails on dropout with "workspace ... for array type INPUT is not open". Each
            // pass gets its own copy of the features, in case dropout is applied to them in place.
            INDArray probabilities = head.feedForward(new INDArray[] {features.dup()}, true, true).get(output)
                    .castTo(DataType.DOUBLE);
            sum = sum == null ? probabilities.dup() : sum.addi(probabilities);
        }
        return sum.divi(passes).castTo(DataType.FLOAT);
    }
}
