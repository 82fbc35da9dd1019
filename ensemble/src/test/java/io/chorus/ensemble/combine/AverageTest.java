package io.chorus.ensemble.combine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

class AverageTest {

    private static final double EPS = 1e-12;

    static double[][] randomMember(SplittableRandom r, int n, int k) {
        double[][] p = new double[n][k];
        for (double[] row : p) {
            double sum = 0;
            for (int c = 0; c < k; c++) {
                row[c] = r.nextDouble();
                sum += row[c];
            }
            for (int c = 0; c < k; c++) {
                row[c] /= sum;
            }
        }
        return p;
    }

    private static void assertMatrixEquals(double[][] expected, double[][] actual, double eps) {
        assertEquals(expected.length, actual.length);
        for (int j = 0; j < expected.length; j++) {
            assertArrayEquals(expected[j], actual[j], eps, "row " + j);
        }
    }

    @Test
    void meanIsTheElementwiseMeanOfTheMembers() {
        double[][] a = {{0.5, 0.25, 0.25}, {0.0, 1.0, 0.0}};
        double[][] b = {{0.25, 0.25, 0.5}, {0.5, 0.5, 0.0}};
        double[][] c = {{0.75, 0.25, 0.0}, {0.1, 0.3, 0.6}};
        // Row 0: (0.5+0.25+0.75)/3 = 0.5, (0.25*3)/3 = 0.25, (0.25+0.5+0)/3 = 0.25.
        // Row 1: (0+0.5+0.1)/3 = 0.2, (1+0.5+0.3)/3 = 0.6, (0+0+0.6)/3 = 0.2.
        assertMatrixEquals(new double[][] {{0.5, 0.25, 0.25}, {0.2, 0.6, 0.2}}, Average.mean(List.of(a, b, c)), EPS);
    }

    @Test
    void identicalMembersAverageToThatMember() {
        double[][] a = randomMember(new SplittableRandom(3), 20, 5);
        assertMatrixEquals(a, Average.mean(List.of(a, a, a, a, a)), EPS);
        assertMatrixEquals(a, Average.mean(List.<double[][]>of(a)), 0);
        assertMatrixEquals(a, Average.weighted(List.of(a, a, a), new double[] {0.2, 0.5, 0.3}), EPS);
    }

    @Test
    void memberOrderDoesNotChangeTheAverage() {
        SplittableRandom r = new SplittableRandom(11);
        List<double[][]> members = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            members.add(randomMember(r, 30, 4));
        }
        double[] w = {0.1, 0.2, 0.3, 0.15, 0.25};
        double[][] mean = Average.mean(members);
        double[][] weighted = Average.weighted(members, w);
        int[] perm = {3, 0, 4, 2, 1};
        List<double[][]> permuted = new ArrayList<>();
        double[] permutedW = new double[5];
        for (int i = 0; i < 5; i++) {
            permuted.add(members.get(perm[i]));
            permutedW[i] = w[perm[i]];
        }
        assertMatrixEquals(mean, Average.mean(permuted), 1e-15);
        assertMatrixEquals(weighted, Average.weighted(permuted, permutedW), 1e-15);
        assertMatrixEquals(mean, Average.mean(List.of(members.get(4), members.get(3), members.get(2),
                members.get(1), members.get(0))), 1e-15);
    }

    @Test
    void weightedIsTheWeightedMean() {
        double[][] a = {{1.0, 0.0}, {0.5, 0.5}};
        double[][] b = {{0.0, 1.0}, {0.1, 0.9}};
        // Row 0: 0.75*1 + 0.25*0 = 0.75; row 1: 0.75*0.5 + 0.25*0.1 = 0.4.
        assertMatrixEquals(new double[][] {{0.75, 0.25}, {0.4, 0.6}},
                Average.weighted(List.of(a, b), new double[] {0.75, 0.25}), EPS);
        // A zero weight ignores the member entirely.
        assertMatrixEquals(b, Average.weighted(List.of(a, b), new double[] {0, 1}), 0);
        // Uniform weights give the mean.
        assertMatrixEquals(Average.mean(List.of(a, b)), Average.weighted(List.of(a, b), new double[] {0.5, 0.5}), EPS);
    }

    @Test
    void weightedDividesOutTheSumToleranceOfTheWeights() {
        double[][] a = {{1.0, 0.0}};
        double[][] b = {{0.0, 1.0}};
        // Weights summing to 1 + 5e-7 are accepted; the result is (0.6, 0.4000005) / 1.0000005.
        double[][] p = Average.weighted(List.of(a, b), new double[] {0.6, 0.4000005});
        assertEquals(0.6 / 1.0000005, p[0][0], 1e-15);
        assertEquals(1.0, p[0][0] + p[0][1], 1e-15);
    }

    @Test
    void weightedRejectsInvalidWeights() {
        double[][] a = {{1.0, 0.0}};
        String negative = assertThrows(IllegalArgumentException.class,
                () -> Average.weighted(List.of(a, a), new double[] {1.5, -0.5})).getMessage();
        assertTrue(negative.contains("weight 1 is -0.5"), negative);
        assertThrows(IllegalArgumentException.class, () -> Average.weighted(List.of(a, a), new double[] {1.0}));
        assertThrows(IllegalArgumentException.class, () -> Average.weighted(List.of(a, a), new double[] {0.5, 0.6}));
    }

    @Test
    void aMemberWithNonFiniteProbabilitiesIsRejected() {
        double[][] good = {{0.5, 0.5}, {0.5, 0.5}};
        double[][] nan = {{0.5, 0.5}, {Double.NaN, 0.5}};
        double[][] inf = {{0.5, 0.5}, {Double.POSITIVE_INFINITY, 0.5}};
        String message = assertThrows(IllegalArgumentException.class,
                () -> Average.mean(List.of(good, nan))).getMessage();
        assertEquals("model #1: row 1 has a non-finite probability (NaN) at class 0", message);
        assertThrows(IllegalArgumentException.class, () -> Average.mean(List.of(inf, good)));
        assertThrows(IllegalArgumentException.class,
                () -> Average.weighted(List.of(good, nan), new double[] {1, 0}));
    }

    @Test
    void membersOfDifferentShapesAreRejected() {
        double[][] twoByTwo = {{0.5, 0.5}, {0.5, 0.5}};
        double[][] oneByTwo = {{0.5, 0.5}};
        double[][] twoByThree = {{0.2, 0.3, 0.5}, {0.2, 0.3, 0.5}};
        assertThrows(IllegalArgumentException.class, () -> Average.mean(List.of(twoByTwo, oneByTwo)));
        assertThrows(IllegalArgumentException.class, () -> Average.mean(List.of(twoByTwo, twoByThree)));
        assertThrows(IllegalArgumentException.class, () -> Average.mean(List.of()));
    }
}
