package io.chorus.worker.zoo;

import static io.chorus.worker.zoo.ZooFixtures.build;
import static io.chorus.worker.zoo.ZooFixtures.spec;
import static io.chorus.worker.zoo.ZooFixtures.withInit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chorus.worker.data.ImageShape;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Each init kind must produce weights with the spread its theory prescribes. Layers are large (25,000 to
 * 400,000 weights), so the sample standard deviation is within about 1% of the true one and a 10%
 * tolerance cannot hide a wrong formula (He vs Xavier differ by 25-50% here).
 */
class ModelZooInitTest {

    private static final ImageShape MNIST = new ImageShape(28, 28, 1);
    private static final double TOLERANCE = 0.10;

    @Test
    void heMatchesSqrtTwoOverFanIn() {
        ComputationGraph lenet = build(withInit(spec(Architecture.LENET, false), WeightInitKind.HE, 0), MNIST);
        // conv2: 5x5 kernels over 20 channels, fan_in = 500.
        assertStd(lenet, "conv2", Math.sqrt(2.0 / (5 * 5 * 20)));
        // fc1: fan_in = 4*4*50 = 800.
        assertStd(lenet, "fc1", Math.sqrt(2.0 / 800));

        ComputationGraph resnet = build(withInit(spec(Architecture.RESNET, true), WeightInitKind.HE, 0),
                new ImageShape(8, 8, 1));
        // Last 3x3 convolution of stage 3: 64 channels in, fan_in = 576.
        assertStd(resnet, "s3_b2_conv2", Math.sqrt(2.0 / (3 * 3 * 64)));
    }

    @Test
    void xavierMatchesSqrtTwoOverFanInPlusFanOut() {
        ComputationGraph net = build(withInit(spec(Architecture.LENET, false), WeightInitKind.XAVIER, 0), MNIST);
        // fc1: 800 in, 500 out.
        assertStd(net, "fc1", Math.sqrt(2.0 / (800 + 500)));
    }

    @Test
    void normalUsesInitSigma() {
        double sigma = 0.05;
        ComputationGraph net = build(withInit(spec(Architecture.LENET, false), WeightInitKind.NORMAL, sigma), MNIST);
        assertStd(net, "conv2", sigma);
        assertStd(net, "fc1", sigma);
        assertStd(net, "output", sigma);
    }

    @Test
    void biasesStartAtZero() {
        ComputationGraph net = build(withInit(spec(Architecture.LENET, false), WeightInitKind.NORMAL, 0.5), MNIST);
        assertEquals(0.0, net.getLayer("fc1").getParam("b").amaxNumber().doubleValue(), 0.0);
    }

    private static void assertStd(ComputationGraph net, String layer, double expected) {
        INDArray w = net.getLayer(layer).getParam("W");
        double std = w.stdNumber().doubleValue();
        double mean = w.meanNumber().doubleValue();
        assertEquals(expected, std, TOLERANCE * expected, layer + " weight std (" + w.length() + " weights)");
        assertTrue(Math.abs(mean) < 0.05 * expected, layer + " weights centred on 0, mean " + mean);
    }
}
