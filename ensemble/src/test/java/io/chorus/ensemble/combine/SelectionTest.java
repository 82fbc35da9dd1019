package io.chorus.ensemble.combine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.chorus.ensemble.Probabilities;
import io.chorus.ensemble.metrics.Metrics;

class SelectionTest {

    // Labels 0, 1, 0. True-class probabilities: C (0.5, 0.5, 0.05), A (0.8, 0.8, 0.1), B (0.2, 0.2, 0.9).
    private static final int[] LABELS = {0, 1, 0};
    private static final double[][] C = {{0.5, 0.5}, {0.5, 0.5}, {0.05, 0.95}};
    private static final double[][] A = {{0.8, 0.2}, {0.2, 0.8}, {0.1, 0.9}};
    private static final double[][] B = {{0.2, 0.8}, {0.8, 0.2}, {0.9, 0.1}};
    private static final List<double[][]> LIBRARY = List.of(C, A, B);

    @Test
    void greedyPicksTheBestSingleModelFirstThenItsBestComplementWithReplacement() {
        // Single models: NLL(C) = -(2 ln 0.5 + ln 0.05)/3 = 1.4607, NLL(A) = -(2 ln 0.8 + ln 0.1)/3 = 0.9163,
        // NLL(B) = -(2 ln 0.2 + ln 0.9)/3 = 1.1081 -> A (index 1).
        // Round 1: {A,A} keeps 0.9163, {A,B} has true-class probabilities (0.5, 0.5, 0.5): ln 2 = 0.6931 -> B;
        // {A,C} gives (0.65, 0.65, 0.075): 1.1506.
        // Round 2: {A,B,A} gives (0.6, 0.6, 1.1/3): 0.6750; {A,B,B} (0.4, 0.4, 1.9/3): 0.7631;
        // {A,B,C} (0.5, 0.5, 1.05/3): 0.8121 -> A again.
        // Round 3: {A,B,A,A} gives (0.65, 0.65, 0.3): 0.6885; {A,B,A,B} = {A,B}: 0.6931; {A,B,A,C}:
        // (0.575, 0.575, 1.15/4): 0.7844 -> A a third time, although the NLL rises.
        Selection.Result result = Selection.greedy(LIBRARY, LABELS, 4);
        assertArrayEquals(new int[] {1, 2, 1, 1}, result.picks());
        assertArrayEquals(new int[] {0, 3, 1}, result.counts());
        double[] expected = {
            -(2 * Math.log(0.8) + Math.log(0.1)) / 3,
            Math.log(2),
            -(2 * Math.log(0.6) + Math.log(1.1 / 3)) / 3,
            -(2 * Math.log(0.65) + Math.log(0.3)) / 3,
        };
        assertArrayEquals(expected, result.validationNll(), 1e-12);
        assertEquals(0.916290731874155, result.validationNll()[0], 1e-12);
        assertEquals(0.674984452131922, result.validationNll()[2], 1e-12);
    }

    @Test
    void validationNllIsTheNllOfTheCombinedPrefix() {
        Selection.Result result = Selection.greedy(LIBRARY, LABELS, 6);
        int[] counts = new int[3];
        for (int r = 0; r < 6; r++) {
            counts[result.picks()[r]]++;
            double[][] ensemble = Selection.combine(LIBRARY, counts);
            double nll = Metrics.of(ensemble, Probabilities.argmax(ensemble), LABELS).nll();
            assertEquals(nll, result.validationNll()[r], 1e-12, "round " + r);
        }
        assertArrayEquals(counts, result.counts());
    }

    @Test
    void tiesGoToTheLowestLibraryIndex() {
        Selection.Result result = Selection.greedy(List.of(A, A, B), LABELS, 3);
        // A at index 0 and its copy at index 1 always tie: index 0 is picked, never 1.
        assertArrayEquals(new int[] {0, 2, 0}, result.picks());
        assertArrayEquals(new int[] {2, 0, 1}, result.counts());
    }

    @Test
    void oneRoundIsTheBestSingleModel() {
        Selection.Result result = Selection.greedy(List.of(B, C, A), LABELS, 1);
        assertArrayEquals(new int[] {2}, result.picks());
        assertArrayEquals(new int[] {0, 0, 1}, result.counts());
        assertEquals(1, result.validationNll().length);
    }

    @Test
    void combineIsTheCountWeightedMean() {
        // counts (1, 3, 2): row 0 = (1*0.5 + 3*0.8 + 2*0.2)/6 = 3.3/6 = 0.55; row 2 = (0.05 + 0.3 + 1.8)/6.
        double[][] p = Selection.combine(LIBRARY, new int[] {1, 3, 2});
        assertArrayEquals(new double[] {0.55, 0.45}, p[0], 1e-12);
        assertArrayEquals(new double[] {(0.5 + 0.6 + 1.6) / 6, (0.5 + 2.4 + 0.4) / 6}, p[1], 1e-12);
        assertArrayEquals(new double[] {2.15 / 6, 3.85 / 6}, p[2], 1e-12);
        double[][] weighted = Average.weighted(LIBRARY, new double[] {1.0 / 6, 3.0 / 6, 2.0 / 6});
        for (int j = 0; j < 3; j++) {
            assertArrayEquals(weighted[j], p[j], 1e-12);
        }
        // A single count of one model is that model.
        assertArrayEquals(A[2], Selection.combine(LIBRARY, new int[] {0, 5, 0})[2], 0);
    }

    @Test
    void invalidArgumentsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> Selection.greedy(LIBRARY, LABELS, 0));
        assertThrows(IllegalArgumentException.class, () -> Selection.greedy(LIBRARY, new int[] {0, 1}, 2));
        assertThrows(IllegalArgumentException.class, () -> Selection.greedy(LIBRARY, new int[] {0, 1, 2}, 2));
        assertEquals("count 1 is -1, must be >= 0", assertThrows(IllegalArgumentException.class,
                () -> Selection.combine(LIBRARY, new int[] {2, -1, 0})).getMessage());
        assertThrows(IllegalArgumentException.class, () -> Selection.combine(LIBRARY, new int[] {0, 0, 0}));
        assertThrows(IllegalArgumentException.class, () -> Selection.combine(LIBRARY, new int[] {1, 1}));
    }

    @Test
    void aModelWithNonFiniteProbabilitiesIsRejected() {
        double[][] nan = {{0.5, 0.5}, {Double.NaN, 0.5}, {0.5, 0.5}};
        String message = assertThrows(IllegalArgumentException.class,
                () -> Selection.greedy(List.of(A, B, nan), LABELS, 3)).getMessage();
        assertEquals("model #2: row 1 has a non-finite probability (NaN) at class 0", message);
        assertThrows(IllegalArgumentException.class, () -> Selection.combine(List.of(A, nan), new int[] {1, 0}));
        double[][] inf = {{0.5, 0.5}, {0.5, 0.5}, {Double.POSITIVE_INFINITY, 0.5}};
        assertThrows(IllegalArgumentException.class, () -> Selection.greedy(List.of(inf, A), LABELS, 1));
    }
}
