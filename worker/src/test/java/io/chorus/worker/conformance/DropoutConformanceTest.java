package io.chorus.worker.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.dropout.Dropout;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * DL4J's {@link Dropout} is inverted dropout with <em>retain</em> probability {@code p}: during training
 * each unit is kept with probability {@code p} and scaled by {@code 1/p}, so {@code E[y_i] = x_i} and no
 * rescaling is needed at test time, where the layer must be the identity.
 *
 * <p>DL4J builds a mask holding 0 or {@code 1/p} and multiplies, so a kept unit is {@code x * fl(1/p)}.
 * For {@code p = 0.5} that equals {@code x / p} exactly; for {@code p = 0.8} it may differ from
 * {@code x / p} in the last bit, so there the comparison allows one ulp.
 */
class DropoutConformanceTest {

    private static final int SIZE = 1_000_000;
    /** Five standard deviations: a false alarm about once in 1.7 million runs. */
    private static final double SIGMAS = 5.0;

    @ParameterizedTest
    @ValueSource(doubles = {0.5, 0.8})
    void trainingKeepsWithProbabilityPAndScalesByOneOverP(double p) {
        Nd4j.getRandom().setSeed(42);
        // x in [0.5, 1.5): strictly positive, so a zero in the output can only mean "dropped".
        INDArray x = Nd4j.rand(DataType.DOUBLE, 1, SIZE).addi(0.5);
        Dropout dropout = new Dropout(p);
        INDArray y = dropout.applyDropout(x.dup(), x.ulike(), 0, 0, LayerWorkspaceMgr.noWorkspaces());

        double[] xs = x.toDoubleVector();
        double[] ys = y.toDoubleVector();
        long kept = 0;
        double sumX = 0;
        double sumY = 0;
        double sumXSquared = 0;
        for (int i = 0; i < SIZE; i++) {
            sumX += xs[i];
            sumY += ys[i];
            sumXSquared += xs[i] * xs[i];
            if (ys[i] != 0.0) {
                kept++;
                double expected = xs[i] / p;
                assertTrue(Math.abs(ys[i] - expected) <= (p == 0.5 ? 0.0 : Math.ulp(expected)),
                        "kept unit " + i + ": expected x/p = " + expected + ", got " + ys[i]);
            }
        }
        // Kept count ~ Binomial(SIZE, p).
        double keptSd = Math.sqrt(SIZE * p * (1 - p));
        assertTrue(Math.abs(kept - SIZE * p) <= SIGMAS * keptSd,
                "kept " + kept + " of " + SIZE + " units, expected " + SIZE * p + " +- " + SIGMAS * keptSd);
        // sum(y - x) has mean 0 and variance sum x_i^2 (1 - p) / p, since y_i - x_i = x_i (B_i / p - 1).
        double meanSd = Math.sqrt(sumXSquared * (1 - p) / p) / SIZE;
        double meanShift = (sumY - sumX) / SIZE;
        assertTrue(Math.abs(meanShift) <= SIGMAS * meanSd,
                "mean activation moved by " + meanShift + ", bound " + SIGMAS * meanSd);
        // Dropping must actually happen.
        assertTrue(kept < SIZE);

        // Backward uses the same mask: dL/dx = dL/dy * mask.
        INDArray upstream = Nd4j.ones(DataType.DOUBLE, 1, SIZE);
        double[] dx = dropout.backprop(upstream, upstream.ulike(), 0, 0).toDoubleVector();
        for (int i = 0; i < SIZE; i++) {
            double expected = ys[i] == 0.0 ? 0.0 : 1.0 / p;
            assertEquals(expected, dx[i], Math.ulp(expected), "gradient at " + i);
        }
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.5, 0.8})
    void dropoutLayerIsTheIdentityAtTestTime(double p) {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
                .dataType(DataType.DOUBLE)
                .seed(3)
                .list()
                .layer(new DropoutLayer.Builder(p).nIn(100).nOut(100).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        Nd4j.getRandom().setSeed(3);
        INDArray x = Nd4j.rand(DataType.DOUBLE, 20, 100).addi(0.5);

        // Bit-exact: INDArray.equals would allow a 1e-5 difference.
        assertArrayEquals(x.toDoubleMatrix(), net.output(x, false).toDoubleMatrix());
        INDArray trained = net.output(x, true);
        assertNotEquals(x, trained, "training mode must drop units");
        assertTrue(trained.eq(0.0).castTo(DataType.INT32).sumNumber().intValue() > 0);
    }
}
