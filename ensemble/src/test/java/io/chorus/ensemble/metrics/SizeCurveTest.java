package io.chorus.ensemble.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import io.chorus.ensemble.Probabilities;
import io.chorus.ensemble.combine.Average;
import io.chorus.ensemble.combine.Vote;

class SizeCurveTest {

    private static final double EPS = 1e-12;

    // Labels 0, 1, 0. True-class probabilities: C (0.5, 0.5, 0.05), A (0.8, 0.8, 0.1), B (0.2, 0.2, 0.9).
    private static final int[] LABELS = {0, 1, 0};
    private static final double[][] C = {{0.5, 0.5}, {0.5, 0.5}, {0.05, 0.95}};
    private static final double[][] A = {{0.8, 0.2}, {0.2, 0.8}, {0.1, 0.9}};
    private static final double[][] B = {{0.2, 0.8}, {0.8, 0.2}, {0.9, 0.1}};
    private static final List<double[][]> MEMBERS = List.of(C, A, B);

    @Test
    void averageCurveAlongAnOrder() {
        List<Metrics> curve = SizeCurve.inOrder(MEMBERS, LABELS, new int[] {1, 2, 0}, SizeCurve.Combiner.AVERAGE);
        assertEquals(3, curve.size());
        // k = 1, A alone: predicts 0, 1, 1 -> 2/3 right; NLL -(2 ln 0.8 + ln 0.1)/3.
        assertEquals(2.0 / 3, curve.get(0).accuracy(), EPS);
        assertEquals(-(2 * Math.log(0.8) + Math.log(0.1)) / 3, curve.get(0).nll(), EPS);
        // k = 2, mean of A and B: every row is (0.5, 0.5), predicted 0 -> examples 0 and 2 right; NLL ln 2.
        assertEquals(2.0 / 3, curve.get(1).accuracy(), EPS);
        assertEquals(Math.log(2), curve.get(1).nll(), EPS);
        assertEquals(0.5, curve.get(1).brier(), EPS);
        // k = 3, mean of A, B, C: rows (0.5, 0.5), (0.5, 0.5), (0.35, 0.65) -> predicts 0, 0, 1: 1/3 right.
        assertEquals(1.0 / 3, curve.get(2).accuracy(), EPS);
        assertEquals(-(2 * Math.log(0.5) + Math.log(0.35)) / 3, curve.get(2).nll(), EPS);
    }

    @Test
    void voteCurveAlongAnOrder() {
        List<Metrics> curve = SizeCurve.inOrder(MEMBERS, LABELS, new int[] {1, 2, 0}, SizeCurve.Combiner.VOTE);
        // k = 1, A alone: votes 0, 1, 1; the true class of example 2 has share 0 -> -ln(1e-15) / 3.
        assertEquals(2.0 / 3, curve.get(0).accuracy(), EPS);
        assertEquals(-Math.log(1e-15) / 3, curve.get(0).nll(), EPS);
        // k = 2, A and B disagree everywhere; summed probabilities tie too -> class 0 each time: 2/3 right,
        // every share 0.5.
        assertEquals(2.0 / 3, curve.get(1).accuracy(), EPS);
        assertEquals(Math.log(2), curve.get(1).nll(), EPS);
        // k = 3, C votes 0, 0, 1: majorities 0, 0, 1 -> 1/3 right; true-class shares 2/3, 1/3, 1/3.
        assertEquals(1.0 / 3, curve.get(2).accuracy(), EPS);
        assertEquals(-(Math.log(2.0 / 3) + 2 * Math.log(1.0 / 3)) / 3, curve.get(2).nll(), EPS);
    }

    @Test
    void eachEntryEqualsEvaluatingThePrefixOnItsOwn() {
        SplittableRandom r = new SplittableRandom(31);
        int n = 40;
        int k = 3;
        int[] labels = new int[n];
        for (int j = 0; j < n; j++) {
            labels[j] = r.nextInt(k);
        }
        List<double[][]> members = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            double[][] p = new double[n][k];
            for (double[] row : p) {
                double s = 0;
                for (int c = 0; c < k; c++) {
                    row[c] = r.nextDouble();
                    s += row[c];
                }
                for (int c = 0; c < k; c++) {
                    row[c] /= s;
                }
            }
            members.add(p);
        }
        int[] order = {2, 0, 3};
        List<Metrics> average = SizeCurve.inOrder(members, labels, order, SizeCurve.Combiner.AVERAGE);
        List<Metrics> vote = SizeCurve.inOrder(members, labels, order, SizeCurve.Combiner.VOTE);
        List<double[][]> prefix = new ArrayList<>();
        for (int size = 1; size <= order.length; size++) {
            prefix.add(members.get(order[size - 1]));
            double[][] mean = Average.mean(prefix);
            Metrics a = Metrics.of(mean, Probabilities.argmax(mean), labels);
            Metrics v = Metrics.of(Vote.shares(prefix), Vote.predict(prefix), labels);
            assertEquals(a.accuracy(), average.get(size - 1).accuracy(), 0);
            assertEquals(a.nll(), average.get(size - 1).nll(), 0);
            assertEquals(a.ece(), average.get(size - 1).ece(), 0);
            assertEquals(v.accuracy(), vote.get(size - 1).accuracy(), 0);
            assertEquals(v.brier(), vote.get(size - 1).brier(), 0);
        }
        // The first entry is the first member of the order on its own.
        assertEquals(Metrics.of(members.get(2), Probabilities.argmax(members.get(2)), labels).nll(),
                average.get(0).nll(), 0);
    }

    @Test
    void greedyOrderIsBestFirstWithoutReplacement() {
        // Best single member A (index 1, NLL 0.9163); then B (A+B: ln 2 = 0.6931, A+C: 1.1506); then C.
        assertArrayEquals(new int[] {1, 2, 0}, SizeCurve.greedyOrder(MEMBERS, LABELS));
        assertArrayEquals(new int[] {0, 2, 1}, SizeCurve.greedyOrder(List.of(A, C, B), LABELS));
    }

    @Test
    void greedyOrderTiesGoToTheLowestIndex() {
        assertArrayEquals(new int[] {0, 1, 2}, SizeCurve.greedyOrder(List.of(A, A, A), LABELS));
        // The copies of A tie with each other at every step.
        assertArrayEquals(new int[] {1, 3, 2, 0}, SizeCurve.greedyOrder(List.of(C, A, A, B), LABELS));
    }

    @Test
    void invalidArgumentsAreRejected() {
        assertThrows(IllegalArgumentException.class,
                () -> SizeCurve.inOrder(MEMBERS, LABELS, new int[0], SizeCurve.Combiner.AVERAGE));
        assertEquals("order entry 2 repeats member 1", assertThrows(IllegalArgumentException.class,
                () -> SizeCurve.inOrder(MEMBERS, LABELS, new int[] {1, 0, 1}, SizeCurve.Combiner.VOTE))
                .getMessage());
        assertEquals("order entry 0 is 3, not a member in [0, 3)", assertThrows(IllegalArgumentException.class,
                () -> SizeCurve.inOrder(MEMBERS, LABELS, new int[] {3}, SizeCurve.Combiner.VOTE)).getMessage());
        double[][] nan = {{0.5, 0.5}, {0.5, 0.5}, {0.5, Double.NaN}};
        assertThrows(IllegalArgumentException.class, () -> SizeCurve.greedyOrder(List.of(A, nan), LABELS));
        assertThrows(IllegalArgumentException.class,
                () -> SizeCurve.inOrder(List.of(A, nan), LABELS, new int[] {0}, SizeCurve.Combiner.AVERAGE));
    }
}
