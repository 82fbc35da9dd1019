package io.chorus.worker.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.distribution.NormalDistribution;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.IWeightInit;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.nn.weights.WeightInitDistribution;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Why Chorus initialises tanh layers with variance {@code 1/D_in}: ten dense tanh layers of width
 * {@value #WIDTH}, weights drawn by DL4J itself ({@link WeightInit#XAVIER_FAN_IN}, i.e.
 * {@code N(0, 1/D_in)}, versus {@link WeightInitDistribution} with {@code N(0, 1)}), zero biases, input
 * {@code N(0, 1)}, fixed seed.
 *
 * <p><b>What is bounded, and why.</b> For {@code z_l = a_{l-1} W_l} with independent zero-mean weights of
 * variance {@code s^2}, {@code Var(z_l) = D_in * s^2 * E[a_{l-1}^2]}. With {@code s^2 = 1/D_in} the linear
 * step therefore preserves the second moment: the test bounds
 * {@code Var(z_l) / E[a_{l-1}^2]} to {@code [0.9, 1.1]} in every layer (the sampling error at this size is
 * about 1%). tanh itself is contractive ({@code |tanh(z)| < |z|}), so the activation variance
 * {@code Var(a_l)} still shrinks slowly, from about 0.39 after layer 1 to about 0.05 after layer 10: the
 * often-quoted "variance stays constant" only holds in the linear regime of tanh, and over ten layers the
 * total shrinkage is close to a factor of 8, not 2. What stays within a factor of 2 is the change
 * <em>per layer</em>: {@code 0.5 <= Var(a_l) / Var(a_{l-1}) <= 1} for {@code l = 2..10}, and the decay is
 * slow (polynomial, about {@code 1/l}), not exponential: {@code Var(a_10) > 0.02}. No unit saturates.
 *
 * <p>With {@code s^2 = 1} the same identity gives {@code Var(z_l) ~ 500 * E[a^2]}: every pre-activation
 * variance is above 100 (two orders of magnitude above the Xavier network), tanh saturates
 * ({@code Var(a_l) > 0.9}, more than 80% of units have {@code |a| > 0.99}), and gradients through
 * {@code 1 - tanh^2} vanish.
 */
class XavierConformanceTest {

    private static final int WIDTH = 500;
    private static final int LAYERS = 10;
    private static final int BATCH = 500;
    private static final long SEED = 12345;

    @Test
    void dl4jXavierFanInDrawsNormalWeightsWithVarianceOneOverFanIn() {
        MultiLayerNetwork net = network(WeightInit.XAVIER_FAN_IN.getWeightInitFunction());
        for (int l = 0; l < LAYERS; l++) {
            INDArray w = net.getLayer(l).getParam("W");
            assertEquals(WIDTH * (long) WIDTH, w.length());
            // 250,000 draws: the sample variance has relative sd sqrt(2/250000) ~ 0.3%.
            double var = w.varNumber().doubleValue();
            assertEquals(1.0 / WIDTH, var, 0.02 / WIDTH, "weight variance of layer " + l);
            assertEquals(0.0, w.meanNumber().doubleValue(), 5 * Math.sqrt(1.0 / WIDTH / w.length()),
                    "weight mean of layer " + l);
            // Gaussian, not uniform: excess kurtosis 0 (uniform would give -1.2).
            double mean = w.meanNumber().doubleValue();
            double fourth = 0;
            for (double v : w.ravel().toDoubleVector()) {
                fourth += Math.pow(v - mean, 4);
            }
            double kurtosis = fourth / w.length() / (var * var) - 3.0;
            assertEquals(0.0, kurtosis, 0.1, "excess kurtosis of layer " + l);
        }
    }

    @Test
    void xavierKeepsTanhActivationsInTheirUsefulRange() {
        Stats s = forward(WeightInit.XAVIER_FAN_IN.getWeightInitFunction());
        for (int l = 0; l < LAYERS; l++) {
            double ratio = s.preActVar[l] / s.inputSecondMoment[l];
            assertTrue(ratio >= 0.9 && ratio <= 1.1,
                    "layer " + (l + 1) + ": Var(z)/E[a_prev^2] = " + ratio + " should be ~1");
            assertTrue(s.saturated[l] < 0.01, "layer " + (l + 1) + " saturated fraction " + s.saturated[l]);
            if (l > 0) {
                double step = s.actVar[l] / s.actVar[l - 1];
                assertTrue(step >= 0.5 && step <= 1.0,
                        "layer " + (l + 1) + ": Var(a_l)/Var(a_{l-1}) = " + step + " outside [0.5, 1]");
            }
        }
        assertTrue(s.actVar[LAYERS - 1] > 0.02, "Var(a_10) = " + s.actVar[LAYERS - 1] + " decayed too far");
    }

    @Test
    void unitNormalWeightsSaturateTanh() {
        Stats big = forward(new WeightInitDistribution(new NormalDistribution(0, 1)));
        Stats xavier = forward(WeightInit.XAVIER_FAN_IN.getWeightInitFunction());
        for (int l = 0; l < LAYERS; l++) {
            assertTrue(big.preActVar[l] > 100, "layer " + (l + 1) + " Var(z) = " + big.preActVar[l]);
            assertTrue(big.preActVar[l] > 100 * xavier.preActVar[l],
                    "layer " + (l + 1) + ": Var(z) " + big.preActVar[l] + " vs Xavier " + xavier.preActVar[l]);
            assertTrue(big.actVar[l] > 0.9, "layer " + (l + 1) + " Var(a) = " + big.actVar[l]);
            assertTrue(big.saturated[l] > 0.8, "layer " + (l + 1) + " saturated fraction " + big.saturated[l]);
        }
    }

    /** Per-layer statistics, index {@code l} for layer {@code l + 1}. */
    private record Stats(double[] inputSecondMoment, double[] preActVar, double[] actVar, double[] saturated) {
    }

    private static Stats forward(IWeightInit init) {
        MultiLayerNetwork net = network(init);
        Nd4j.getRandom().setSeed(SEED + 1);
        INDArray input = Nd4j.randn(DataType.DOUBLE, BATCH, WIDTH);
        // Entry 0 is the input, entry l the tanh output of layer l.
        List<INDArray> activations = net.feedForward(input, false);
        assertEquals(LAYERS + 1, activations.size());
        Stats s = new Stats(new double[LAYERS], new double[LAYERS], new double[LAYERS], new double[LAYERS]);
        for (int l = 0; l < LAYERS; l++) {
            INDArray previous = activations.get(l);
            INDArray a = activations.get(l + 1);
            // Biases are 0, so z = a_prev W; recomputed because feedForward returns only activations.
            INDArray z = previous.mmul(net.getLayer(l).getParam("W"));
            assertEquals(Transforms.tanh(z, true), a, "DL4J's activation should be tanh(a_prev W)");
            s.inputSecondMoment[l] = previous.mul(previous).meanNumber().doubleValue();
            s.preActVar[l] = z.varNumber().doubleValue();
            s.actVar[l] = a.varNumber().doubleValue();
            s.saturated[l] = Transforms.abs(a, true).gt(0.99).castTo(DataType.DOUBLE).meanNumber().doubleValue();
        }
        return s;
    }

    private static MultiLayerNetwork network(IWeightInit init) {
        NeuralNetConfiguration.ListBuilder list = new NeuralNetConfiguration.Builder()
                .dataType(DataType.DOUBLE)
                .seed(SEED)
                .weightInit(init)
                .biasInit(0.0)
                .activation(Activation.TANH)
                .list();
        for (int l = 0; l < LAYERS; l++) {
            list.layer(new DenseLayer.Builder().nIn(WIDTH).nOut(WIDTH).build());
        }
        MultiLayerNetwork net = new MultiLayerNetwork(list.build());
        net.init();
        return net;
    }
}
