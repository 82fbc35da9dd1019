package io.chorus.worker.zoo;

import io.chorus.worker.data.ImageShape;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;

/** Shared specs, data and parameter-count formulas of the zoo tests. */
final class ZooFixtures {

    static final int CLASSES = 10;
    static final long SEED = 42L;
    static final IUpdater UPDATER = new Adam(1e-3);

    private ZooFixtures() {
    }

    /** The defaults a job configuration uses: He init, ReLU, no dropout, depth 2, width 16, basic blocks. */
    static ModelSpec spec(Architecture arch, boolean batchnorm) {
        return new ModelSpec(arch, WeightInitKind.HE, 0.01, ActivationKind.RELU, batchnorm, 0.0, 2, 16,
                BlockKind.BASIC);
    }

    static ModelSpec withDropout(ModelSpec s, double dropout) {
        return new ModelSpec(s.arch(), s.init(), s.initSigma(), s.activation(), s.batchnorm(), dropout,
                s.depth(), s.width(), s.block());
    }

    static ModelSpec withInit(ModelSpec s, WeightInitKind init, double sigma) {
        return new ModelSpec(s.arch(), init, sigma, s.activation(), s.batchnorm(), s.dropout(), s.depth(),
                s.width(), s.block());
    }

    static ModelSpec withBlock(ModelSpec s, BlockKind block) {
        return new ModelSpec(s.arch(), s.init(), s.initSigma(), s.activation(), s.batchnorm(), s.dropout(),
                s.depth(), s.width(), block);
    }

    static ModelSpec withActivation(ModelSpec s, ActivationKind activation) {
        return new ModelSpec(s.arch(), s.init(), s.initSigma(), activation, s.batchnorm(), s.dropout(), s.depth(),
                s.width(), s.block());
    }

    static ComputationGraphConfiguration configure(ModelSpec spec, ImageShape shape) {
        return ModelZoo.configure(spec, shape, CLASSES, SEED, UPDATER, 1e-4);
    }

    static ComputationGraph build(ModelSpec spec, ImageShape shape) {
        return ModelZoo.build(spec, shape, CLASSES, SEED, UPDATER, 1e-4);
    }

    /** A random NCHW batch with labels cycling through the classes. */
    static DataSet randomBatch(ImageShape shape, int batch) {
        Nd4j.getRandom().setSeed(7);
        INDArray features = Nd4j.rand(DataType.FLOAT, batch, shape.channels(), shape.height(), shape.width());
        INDArray labels = Nd4j.zeros(DataType.FLOAT, batch, CLASSES);
        for (int i = 0; i < batch; i++) {
            labels.putScalar(i, i % CLASSES, 1.0);
        }
        return new DataSet(features, labels);
    }

    // Parameter counts, by hand from layer sizes.

    /** A k x k convolution from {@code in} to {@code out} channels, with or without bias. */
    static long conv(int k, int in, int out, boolean bias) {
        return (long) k * k * in * out + (bias ? out : 0);
    }

    /** DL4J batch normalization over c channels: gamma, beta, running mean, running variance. */
    static long bn(int c) {
        return 4L * c;
    }

    /** A fully connected layer with bias. */
    static long dense(long in, int out) {
        return in * out + out;
    }

    /** A convolution unit of the zoo: conv with bias, or conv without bias then BN. */
    static long convUnit(int k, int in, int out, boolean batchnorm) {
        return batchnorm ? conv(k, in, out, false) + bn(out) : conv(k, in, out, true);
    }

    /** A hidden dense unit of the zoo: dense with bias, or dense without bias then BN. */
    static long denseUnit(long in, int out, boolean batchnorm) {
        return batchnorm ? in * out + bn(out) : dense(in, out);
    }
}
