package io.chorus.ensemble.swa;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class ParameterMeanTest {

    @Test
    void meanOfThreeVectorsIsTheHandValue() {
        ParameterMean m = new ParameterMean();
        m.add(Nd4j.createFromArray(1f, 2f, -3f, 10f));
        m.add(Nd4j.createFromArray(4f, 0f, 3f, 20f));
        m.add(Nd4j.createFromArray(7f, 1f, 6f, 0.5f));
        assertEquals(3, m.count());
        INDArray mean = m.mean();
        assertEquals(DataType.FLOAT, mean.dataType());
        // (1+4+7)/3, (2+0+1)/3, (-3+3+6)/3, (10+20+0.5)/3
        assertArrayEquals(new float[] {4f, 1f, 2f, 30.5f / 3}, mean.toFloatVector(), 1e-6f);
    }

    @Test
    void keepsOneRunningVectorSoTheCallerMayReuseItsBuffer() {
        // One buffer overwritten before every add: a mean that kept references to its inputs would see
        // three copies of the last vector.
        ParameterMean m = new ParameterMean();
        INDArray buffer = Nd4j.create(DataType.FLOAT, 1, 3);
        float[][] vectors = {{3f, 6f, 9f}, {0f, 0f, 3f}, {-3f, 3f, 0f}};
        for (float[] v : vectors) {
            buffer.assign(Nd4j.createFromArray(new float[][] {v}));
            m.add(buffer);
        }
        buffer.assign(1000f);
        assertArrayEquals(new float[] {0f, 3f, 4f}, m.mean().toFloatVector(), 1e-6f);
        assertArrayEquals(new long[] {1, 3}, m.mean().shape());
    }

    @Test
    void runningMeanInDoubleStaysWithinOneUlpOverManyVectors() {
        // Cycling 0.1, 0.7 and 123.456 through 3,000 adds: a running mean kept in FLOAT ends 4 to 9 ulps
        // away from the exact mean; the DOUBLE one rounds to the nearest FLOAT.
        float[] values = {0.1f, 0.7f, 123.456f};
        double exact = ((double) values[0] + values[1] + values[2]) / 3;
        ParameterMean m = new ParameterMean();
        for (int n = 0; n < 3_000; n++) {
            m.add(Nd4j.createFromArray(values[n % 3], values[(n + 1) % 3], values[(n + 2) % 3]));
        }
        for (float v : m.mean().toFloatVector()) {
            assertEquals(exact, v, Math.ulp((float) exact), "mean of the cycle");
        }
    }

    @Test
    void doubleInputIsNotModified() {
        ParameterMean m = new ParameterMean();
        INDArray a = Nd4j.createFromArray(2.0, 4.0);
        INDArray b = Nd4j.createFromArray(4.0, 8.0);
        m.add(a);
        m.add(b);
        assertArrayEquals(new double[] {2.0, 4.0}, a.toDoubleVector(), 0.0);
        assertArrayEquals(new double[] {4.0, 8.0}, b.toDoubleVector(), 0.0);
        assertArrayEquals(new double[] {3.0, 6.0}, m.mean().toDoubleVector(), 0.0);
        assertEquals(DataType.DOUBLE, m.mean().dataType());
    }

    @Test
    void refusesOtherShapesAndNonFiniteValuesLeavingTheMeanUnchanged() {
        ParameterMean m = new ParameterMean();
        m.add(Nd4j.createFromArray(1f, 2f));
        IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                () -> m.add(Nd4j.createFromArray(1f, 2f, 3f)));
        assertTrue(shape.getMessage().contains("[3]") && shape.getMessage().contains("[2]"), shape.getMessage());
        IllegalArgumentException nan = assertThrows(IllegalArgumentException.class,
                () -> m.add(Nd4j.createFromArray(Float.NaN, 2f)));
        assertTrue(nan.getMessage().contains("NaN"), nan.getMessage());
        assertThrows(IllegalArgumentException.class, () -> m.add(Nd4j.createFromArray(1, 2)));
        assertEquals(1, m.count());
        assertArrayEquals(new float[] {1f, 2f}, m.mean().toFloatVector(), 0f);
    }

    @Test
    void meanOfNothingIsRefused() {
        assertThrows(IllegalStateException.class, () -> new ParameterMean().mean());
    }
}
