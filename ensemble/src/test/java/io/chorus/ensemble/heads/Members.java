package io.chorus.ensemble.heads;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.Nesterovs;

import io.chorus.ensemble.testdata.TinyFashion;

/** Small members trained once per JVM for the head tests: LeNets on 1,000 images of 14x14, two epochs. */
final class Members {

    private static ComputationGraph batchNormDropout;
    private static ComputationGraph plainDropout;

    private static INDArray features;

    private Members() {
    }

    /** Features of the 1,000 training images under {@link #batchNormDropout()}'s backbone. */
    static synchronized INDArray trainFeatures() {
        if (features == null) {
            features = new Backbone(batchNormDropout()).features(TinyFashion.all(TinyFashion.train(1000)).getFeatures());
        }
        return features;
    }

    /** Labels of the 1,000 training images. */
    static int[] trainLabels() {
        return TinyFashion.train(1000).labels();
    }

    /** LeNet with batch normalization (also in the head: fc1_bn) and drop probability 0.25 before the output. */
    static synchronized ComputationGraph batchNormDropout() {
        if (batchNormDropout == null) {
            batchNormDropout = TinyFashion.trainMember(TinyFashion.lenet(true, 0.25), 101L, new Nesterovs(0.02, 0.9),
                    TinyFashion.train(1000), 32, 2);
        }
        return batchNormDropout;
    }

    /** LeNet without batch normalization, drop probability 0.5 before the output. */
    static synchronized ComputationGraph plainDropout() {
        if (plainDropout == null) {
            plainDropout = TinyFashion.trainMember(TinyFashion.lenet(false, 0.5), 202L, new Nesterovs(0.02, 0.9),
                    TinyFashion.train(1000), 32, 2);
        }
        return plainDropout;
    }
}
