package io.chorus.ensemble.combine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

class WeightsTest {

    private static String rejected(double[] w, int members) {
        return assertThrows(IllegalArgumentException.class, () -> Weights.validate(w, members)).getMessage();
    }

    /** The validation NLL of the weighted average, computed directly from its definition. */
    private static double nll(List<double[][]> members, double[] w, int[] labels) {
        double s = 0;
        for (int j = 0; j < labels.length; j++) {
            double pj = 0;
            for (int i = 0; i < members.size(); i++) {
                pj += w[i] * members.get(i)[j][labels[j]];
            }
            s -= Math.log(Math.max(pj, 1e-15));
        }
        return s / labels.length;
    }

    @Test
    void validateAcceptsPointsOfTheSimplex() {
        assertDoesNotThrow(() -> Weights.validate(new double[] {1}, 1));
        assertDoesNotThrow(() -> Weights.validate(new double[] {0.2, 0.3, 0.5}, 3));
        assertDoesNotThrow(() -> Weights.validate(new double[] {0, 1}, 2));
        assertDoesNotThrow(() -> Weights.validate(new double[] {0.5, 0.5000009}, 2));
    }

    @Test
    void validateNamesTheIndexAndValueOfABadWeight() {
        assertEquals("weight 1 is -0.1, must be finite and >= 0", rejected(new double[] {0.6, -0.1, 0.5}, 3));
        assertEquals("weight 2 is NaN, must be finite and >= 0", rejected(new double[] {0.5, 0.5, Double.NaN}, 3));
        assertEquals("weight 0 is Infinity, must be finite and >= 0",
                rejected(new double[] {Double.POSITIVE_INFINITY, 0}, 2));
    }

    @Test
    void validateRejectsWrongLengthAndWrongSum() {
        assertEquals("weights has 2 entries, expected 3 (one per member)", rejected(new double[] {0.5, 0.5}, 3));
        String sum = rejected(new double[] {0.25, 0.25, 0.25}, 3);
        assertTrue(sum.startsWith("weights sum to 0.75, not 1"), sum);
        // 2e-6 off is outside the tolerance of 1e-6.
        assertThrows(IllegalArgumentException.class, () -> Weights.validate(new double[] {0.5, 0.500002}, 2));
        assertThrows(IllegalArgumentException.class, () -> Weights.validate(null, 2));
        assertThrows(IllegalArgumentException.class, () -> Weights.validate(new double[0], 0));
    }

    @Test
    void fitFindsTheAnalyticOptimum() {
        // Member 0 gives the true class probability 1 on examples 0 and 1 and 0 on example 2; member 1 the
        // reverse. NLL(w0) = -(2 ln w0 + ln(1 - w0)) / 3 is minimal at w0 = 2/3.
        double[][] a = {{0, 1}, {0, 1}, {1, 0}};
        double[][] b = {{1, 0}, {1, 0}, {0, 1}};
        int[] labels = {1, 1, 1};
        double[] w = Weights.fit(List.of(a, b), labels);
        assertArrayEquals(new double[] {2.0 / 3, 1.0 / 3}, w, 1e-9);
    }

    @Test
    void fitGivesTheGoodMemberMostOfTheWeight() {
        SplittableRandom r = new SplittableRandom(5);
        int n = 200;
        int k = 4;
        int[] labels = new int[n];
        double[][] good = new double[n][k];
        for (int j = 0; j < n; j++) {
            labels[j] = r.nextInt(k);
            for (int c = 0; c < k; c++) {
                good[j][c] = c == labels[j] ? 0.7 : 0.1;
            }
        }
        double[][] random = AverageTest.randomMember(r, n, k);
        List<double[][]> members = List.of(random, good);
        double[] w = Weights.fit(members, labels);

        assertEquals(2, w.length);
        assertTrue(w[1] > 0.9, "good member's weight " + w[1]);
        assertTrue(w[0] >= 0 && w[1] >= 0);
        assertEquals(1.0, w[0] + w[1], 1e-12);
        assertDoesNotThrow(() -> Weights.validate(w, 2));
        double fitted = nll(members, w, labels);
        double uniform = nll(members, new double[] {0.5, 0.5}, labels);
        assertTrue(fitted < uniform, fitted + " vs uniform " + uniform);
        // The good member alone has NLL -ln 0.7; the fit cannot be worse than it by more than the stopping slack.
        assertTrue(fitted <= -Math.log(0.7) + 1e-6, "fitted NLL " + fitted);
    }

    @Test
    void fitIsDeterministicOnTheSimplexAndNoWorseThanUniform() {
        SplittableRandom r = new SplittableRandom(17);
        int n = 50;
        int k = 3;
        int[] labels = new int[n];
        for (int j = 0; j < n; j++) {
            labels[j] = r.nextInt(k);
        }
        List<double[][]> members = List.of(AverageTest.randomMember(r, n, k), AverageTest.randomMember(r, n, k),
                AverageTest.randomMember(r, n, k), AverageTest.randomMember(r, n, k));
        double[] w = Weights.fit(members, labels);
        assertArrayEquals(w, Weights.fit(members, labels), 0);
        double sum = 0;
        for (double v : w) {
            assertTrue(v >= 0, "weight " + v);
            sum += v;
        }
        assertEquals(1.0, sum, 1e-12);
        assertTrue(nll(members, w, labels) <= nll(members, new double[] {0.25, 0.25, 0.25, 0.25}, labels));
    }

    @Test
    void fitOfIdenticalMembersStaysUniformAndOfOneMemberIsOne() {
        double[][] a = {{0.75, 0.25}, {0.5, 0.5}};
        assertArrayEquals(new double[] {1.0 / 3, 1.0 / 3, 1.0 / 3}, Weights.fit(List.of(a, a, a), new int[] {0, 1}),
                1e-15);
        assertArrayEquals(new double[] {1.0}, Weights.fit(List.<double[][]>of(a), new int[] {0, 1}), 0);
    }

    @Test
    void fitRejectsInvalidMembersAndLabels() {
        double[][] good = {{0.75, 0.25}, {0.5, 0.5}};
        double[][] nan = {{0.75, 0.25}, {0.5, Double.NaN}};
        assertThrows(IllegalArgumentException.class, () -> Weights.fit(List.of(good, nan), new int[] {0, 1}));
        assertThrows(IllegalArgumentException.class, () -> Weights.fit(List.<double[][]>of(good), new int[] {0, 2}));
        assertThrows(IllegalArgumentException.class, () -> Weights.fit(List.<double[][]>of(good), new int[] {0}));
    }
}
