package io.chorus.worker.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * DL4J's ReLU against the seed test vector: {@code y = max(0, x)} and {@code dL/dx = dL/dy * 1[x > 0]}.
 * No entry of {@code x} is exactly 0, so the subgradient choice at 0 does not matter and the comparison is
 * exact.
 */
class ReluConformanceTest {

    private static final double[][] X = {
        {1.5, 2.2, 1.3, 6.7},
        {4.3, -0.3, -0.2, 4.9},
        {-4.5, 1.4, 5.5, 1.8},
        {0.1, -0.5, -0.1, 2.2}};
    private static final double[][] UPSTREAM = {
        {4.5, 1.2, 2.3, 1.3},
        {-1.3, -6.3, 4.1, -2.9},
        {-0.5, 1.2, 3.5, 1.2},
        {-6.1, 0.5, -4.1, -3.2}};

    @Test
    void forwardZeroesNegativeInputs() {
        double[][] expected = {
            {1.5, 2.2, 1.3, 6.7},
            {4.3, 0.0, 0.0, 4.9},
            {0.0, 1.4, 5.5, 1.8},
            {0.1, 0.0, 0.0, 2.2}};
        // DL4J applies activations in place, hence the fresh array.
        INDArray y = new ActivationReLU().getActivation(Nd4j.create(X), true);
        assertArrayEquals(expected, y.toDoubleMatrix());
    }

    @Test
    void backwardZeroesTheGradientWhereTheInputWasNegative() {
        double[][] expected = {
            {4.5, 1.2, 2.3, 1.3},
            {-1.3, 0.0, 0.0, -2.9},
            {0.0, 1.2, 3.5, 1.2},
            {-6.1, 0.0, 0.0, -3.2}};
        Pair<INDArray, INDArray> grads = new ActivationReLU().backprop(Nd4j.create(X), Nd4j.create(UPSTREAM));
        assertArrayEquals(expected, grads.getFirst().toDoubleMatrix());
    }

    @Test
    void singlePrecisionAgreesWithElementwiseLoops() {
        // Chorus trains in FLOAT; the same rule evaluated entry by entry guards against a FLOAT-specific
        // native path behaving differently from the DOUBLE one above.
        INDArray x = Nd4j.create(X).castTo(DataType.FLOAT);
        INDArray g = Nd4j.create(UPSTREAM).castTo(DataType.FLOAT);
        INDArray y = new ActivationReLU().getActivation(x.dup(), true);
        INDArray dx = new ActivationReLU().backprop(x.dup(), g.dup()).getFirst();
        for (int r = 0; r < 4; r++) {
            for (int c = 0; c < 4; c++) {
                float xv = (float) X[r][c];
                float gv = (float) UPSTREAM[r][c];
                assertArrayEquals(new float[] {xv > 0 ? xv : 0f, xv > 0 ? gv : 0f},
                        new float[] {y.getFloat(r, c), dx.getFloat(r, c)}, "entry " + r + "," + c);
            }
        }
    }
}
