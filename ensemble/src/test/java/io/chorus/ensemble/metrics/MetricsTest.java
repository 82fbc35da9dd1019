package io.chorus.ensemble.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.chorus.ensemble.Probabilities;
import io.chorus.ensemble.combine.Vote;

class MetricsTest {

    private static final double EPS = 1e-12;

    // Four examples, three classes. Predictions (argmax): 0 (right), 1 (wrong), 2 (right), 0 (tie 0/1, wrong).
    private static final double[][] P = {
        {0.7, 0.2, 0.1},
        {0.2, 0.5, 0.3},
        {0.1, 0.1, 0.8},
        {0.4, 0.4, 0.2},
    };
    private static final int[] LABELS = {0, 2, 2, 1};

    private static Metrics metrics() {
        return Metrics.of(P, Probabilities.argmax(P), LABELS);
    }

    @Test
    void accuracyAndNll() {
        Metrics m = metrics();
        assertEquals(4, m.examples());
        assertEquals(0.5, m.accuracy(), 0);
        // -(ln 0.7 + ln 0.3 + ln 0.8 + ln 0.4) / 4 = (0.356675 + 1.203973 + 0.223144 + 0.916291) / 4
        assertEquals(0.6750205078632583, m.nll(), EPS);
    }

    @Test
    void brierIsTheMeanSquaredDistanceToTheOneHotLabel() {
        // Rows: 0.09+0.04+0.01 = 0.14; 0.04+0.25+0.49 = 0.78; 0.01+0.01+0.04 = 0.06; 0.16+0.36+0.04 = 0.56.
        // Mean: 1.54 / 4 = 0.385.
        assertEquals(0.385, metrics().brier(), EPS);
        // Certain and right: 0; certain and wrong: 2.
        assertEquals(0.0, Metrics.of(new double[][] {{0, 1}}, new int[] {1}, new int[] {1}).brier(), 0);
        assertEquals(2.0, Metrics.of(new double[][] {{1, 0}}, new int[] {0}, new int[] {1}).brier(), 0);
    }

    @Test
    void eceWithEveryExampleInItsOwnBin() {
        // Confidences 0.7, 0.5, 0.8, 0.4 fall into bins 10, 7, 11 (0.8 = 12/15 is the upper edge of bin 11)
        // and 5 (0.4 = 6/15 is the upper edge of bin 5).
        // ECE = (|1 - 0.7| + |0 - 0.5| + |1 - 0.8| + |0 - 0.4|) / 4 = 1.4 / 4 = 0.35.
        assertEquals(0.35, metrics().ece(), EPS);
        Metrics.Reliability r = Metrics.reliability(P, Probabilities.argmax(P), LABELS, Metrics.ECE_BINS);
        long[] count = new long[15];
        count[5] = 1;
        count[7] = 1;
        count[10] = 1;
        count[11] = 1;
        assertArrayEquals(count, r.count());
        assertEquals(0.8, r.confidence()[11], 0);
        assertEquals(0.4, r.confidence()[5], 0);
    }

    @Test
    void eceWeighsBinsByTheirShareOfExamples() {
        // Confidences 0.9 (right) and 0.92 (wrong) share bin 13 = (13/15, 14/15]: accuracy 0.5, confidence 0.91.
        // 0.7 (right) is alone in bin 10, 0.5 (wrong: the tie predicts class 0) alone in bin 7.
        // ECE = 2/4 * |0.5 - 0.91| + 1/4 * |1 - 0.7| + 1/4 * |0 - 0.5| = 0.205 + 0.075 + 0.125 = 0.405.
        double[][] p = {{0.9, 0.1}, {0.92, 0.08}, {0.3, 0.7}, {0.5, 0.5}};
        int[] labels = {0, 1, 1, 1};
        Metrics m = Metrics.of(p, Probabilities.argmax(p), labels);
        assertEquals(0.405, m.ece(), EPS);
        assertEquals(0.5, m.accuracy(), 0);
        Metrics.Reliability r = Metrics.reliability(p, Probabilities.argmax(p), labels, 15);
        assertEquals(2, r.count()[13]);
        assertEquals(0.5, r.accuracy()[13], 0);
        assertEquals(0.91, r.confidence()[13], EPS);
    }

    @Test
    void perfectlyCalibratedPredictionsHaveZeroEce() {
        // Two examples at confidence 0.5, one right and one wrong: accuracy 0.5 equals confidence 0.5.
        double[][] p = {{0.5, 0.5}, {0.5, 0.5}};
        assertEquals(0.0, Metrics.of(p, new int[] {0, 0}, new int[] {0, 1}).ece(), 0);
    }

    @Test
    void reliabilityBinsAreHalfOpenFromBelowAndEmptyBinsAreNaN() {
        // Four bins: (0, .25], (.25, .5], (.5, .75], (.75, 1]. Confidences 0.7 -> bin 2, 0.5 -> bin 1 (upper
        // edge), 0.8 -> bin 3, 0.4 -> bin 1.
        Metrics.Reliability r = Metrics.reliability(P, Probabilities.argmax(P), LABELS, 4);
        assertArrayEquals(new double[] {0, 0.25, 0.5, 0.75}, r.lower(), 0);
        assertArrayEquals(new double[] {0.25, 0.5, 0.75, 1.0}, r.upper(), 0);
        assertArrayEquals(new long[] {0, 2, 1, 1}, r.count());
        assertTrue(Double.isNaN(r.accuracy()[0]));
        assertTrue(Double.isNaN(r.confidence()[0]));
        assertArrayEquals(new double[] {0, 1, 1}, new double[] {r.accuracy()[1], r.accuracy()[2], r.accuracy()[3]}, 0);
        assertArrayEquals(new double[] {0.45, 0.7, 0.8},
                new double[] {r.confidence()[1], r.confidence()[2], r.confidence()[3]}, EPS);
        assertThrows(IllegalArgumentException.class, () -> Metrics.reliability(P, Probabilities.argmax(P), LABELS, 0));
    }

    @Test
    void confidenceZeroGoesIntoBinZeroAndOneIntoTheLastBin() {
        // The predicted class is given separately, so its probability can be 0.
        double[][] p = {{1, 0}, {1, 0}};
        Metrics.Reliability r = Metrics.reliability(p, new int[] {1, 0}, new int[] {0, 0}, 15);
        assertEquals(1, r.count()[0]);
        assertEquals(0.0, r.confidence()[0], 0);
        assertEquals(0.0, r.accuracy()[0], 0);
        assertEquals(1, r.count()[14]);
        assertEquals(1.0, r.accuracy()[14], 0);
        // Both bins are perfectly calibrated.
        assertEquals(0.0, Metrics.of(p, new int[] {1, 0}, new int[] {0, 0}).ece(), 0);
    }

    @Test
    void nllFloorsAZeroProbabilityAt1eMinus15() {
        // Three members vote 0, 0, 0; the label is 1, whose vote share is 0: -ln(1e-15) = 34.538776394910684.
        double[][] m = {{0.9, 0.1}, {0.2, 0.8}};
        List<double[][]> members = List.of(m, m, m);
        Metrics vote = Metrics.of(Vote.shares(members), Vote.predict(members), new int[] {1, 1});
        assertEquals((34.538776394910684 + 0) / 2, vote.nll(), EPS);
        assertTrue(Double.isFinite(vote.nll()));
        assertEquals(0.5, vote.accuracy(), 0);
    }

    @Test
    void thePredictedClassesAreTakenAsGiven() {
        // The vote's tie rule may pick class 1 where the shares are tied; the metrics follow it.
        double[][] shares = {{0.5, 0.5}};
        Metrics m = Metrics.of(shares, new int[] {1}, new int[] {1});
        assertEquals(1.0, m.accuracy(), 0);
        assertEquals(1, m.confusion()[1][1]);
        // Confidence 0.5 with accuracy 1.
        assertEquals(0.5, m.ece(), EPS);
    }

    @Test
    void perClassAccuracyAndConfusion() {
        Metrics m = metrics();
        // Class 0: example 0 right -> 1. Class 1: example 3 wrong -> 0. Class 2: examples 1 (wrong) and 2 (right).
        assertArrayEquals(new double[] {1.0, 0.0, 0.5}, m.perClassAccuracy(), 0);
        long[][] confusion = {{1, 0, 0}, {1, 0, 0}, {0, 1, 1}};
        for (int k = 0; k < 3; k++) {
            assertArrayEquals(confusion[k], m.confusion()[k], "true class " + k);
        }
    }

    @Test
    void perClassAccuracyOfAnAbsentClassIsNaN() {
        double[][] p = {{0.6, 0.3, 0.1}, {0.2, 0.2, 0.6}, {0.1, 0.6, 0.3}};
        Metrics m = Metrics.of(p, Probabilities.argmax(p), new int[] {0, 2, 2});
        assertEquals(1.0, m.perClassAccuracy()[0], 0);
        assertTrue(Double.isNaN(m.perClassAccuracy()[1]));
        assertEquals(0.5, m.perClassAccuracy()[2], 0);
        assertArrayEquals(new long[] {0, 0, 0}, m.confusion()[1]);
        assertArrayEquals(new long[] {0, 1, 1}, m.confusion()[2]);
    }

    @Test
    void invalidInputsAreRejected() {
        int[] predicted = Probabilities.argmax(P);
        assertEquals("model under evaluation: row 0 has a non-finite probability (NaN) at class 1",
                assertThrows(IllegalArgumentException.class,
                        () -> Metrics.of(new double[][] {{0.5, Double.NaN}}, new int[] {0}, new int[] {0}))
                        .getMessage());
        assertThrows(IllegalArgumentException.class, () -> Metrics.of(P, predicted, new int[] {0, 1, 2}));
        assertThrows(IllegalArgumentException.class, () -> Metrics.of(P, predicted, new int[] {0, 1, 2, 3}));
        assertEquals("predicted class of example 1 is 3, not a class in [0, 3)",
                assertThrows(IllegalArgumentException.class,
                        () -> Metrics.of(P, new int[] {0, 3, 0, 0}, LABELS)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> Metrics.of(P, new int[] {0, 1}, LABELS));
        assertThrows(IllegalArgumentException.class, () -> Metrics.of(new double[0][], new int[0], new int[0]));
    }
}
