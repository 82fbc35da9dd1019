package io.chorus.ensemble.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

class DiversityTest {

    private static final double EPS = 1e-12;

    // Labels 0 1 2 0 1. Correct (1) or wrong (0) per example:
    //   A: 1 1 1 0 0    B: 1 0 1 1 0    C: 0 1 0 0 1
    private static final int[] LABELS = {0, 1, 2, 0, 1};
    private static final int[] A = {0, 1, 2, 1, 2};
    private static final int[] B = {0, 2, 2, 0, 2};
    private static final int[] C = {1, 1, 0, 1, 1};

    @Test
    void pairwiseMeasuresMatchTheContingencyCounts() {
        Diversity d = Diversity.of(List.of(A, B, C), LABELS);
        // A,B: N11 = 2 (ex 0, 2), N00 = 1 (ex 4), N10 = 1 (ex 1), N01 = 1 (ex 3).
        //   disagreement 2/5, Q = (2*1 - 1*1)/(2*1 + 1*1) = 1/3, double fault 1/5.
        // A,C: N11 = 1 (ex 1), N00 = 1 (ex 3), N10 = 2 (ex 0, 2), N01 = 1 (ex 4).
        //   disagreement 3/5, Q = (1 - 2)/(1 + 2) = -1/3, double fault 1/5.
        // B,C: N11 = 0, N00 = 0, N10 = 3 (ex 0, 2, 3), N01 = 2 (ex 1, 4).
        //   disagreement 5/5, Q = (0 - 6)/(0 + 6) = -1, double fault 0.
        assertArrayEquals(new double[] {0, 0.4, 0.6}, d.disagreement()[0], EPS);
        assertArrayEquals(new double[] {0.4, 0, 1.0}, d.disagreement()[1], EPS);
        assertArrayEquals(new double[] {0.6, 1.0, 0}, d.disagreement()[2], EPS);
        assertArrayEquals(new double[] {1, 1.0 / 3, -1.0 / 3}, d.qStatistic()[0], EPS);
        assertArrayEquals(new double[] {1.0 / 3, 1, -1}, d.qStatistic()[1], EPS);
        assertArrayEquals(new double[] {-1.0 / 3, -1, 1}, d.qStatistic()[2], EPS);
        // Diagonal: each member's error rate, 2/5, 2/5 and 3/5.
        assertArrayEquals(new double[] {0.4, 0.2, 0.2}, d.doubleFault()[0], EPS);
        assertArrayEquals(new double[] {0.2, 0.4, 0}, d.doubleFault()[1], EPS);
        assertArrayEquals(new double[] {0.2, 0, 0.6}, d.doubleFault()[2], EPS);

        assertEquals((0.4 + 0.6 + 1.0) / 3, d.meanDisagreement(), EPS);
        assertEquals((1.0 / 3 - 1.0 / 3 - 1) / 3, d.meanQ(), EPS);
        assertEquals((0.2 + 0.2 + 0) / 3, d.meanDoubleFault(), EPS);
    }

    @Test
    void qIsNaNWhenItsDenominatorIsZeroAndSkippedByTheMean() {
        // D is always right: with A, N00 = N10 = 0, so N11*N00 + N01*N10 = 0 and Q is undefined.
        int[] d = LABELS.clone();
        Diversity div = Diversity.of(List.of(A, B, d), LABELS);
        assertTrue(Double.isNaN(div.qStatistic()[0][2]));
        assertTrue(Double.isNaN(div.qStatistic()[2][1]));
        assertEquals(1.0, div.qStatistic()[2][2], 0);
        // Only the pair A,B has a defined Q.
        assertEquals(1.0 / 3, div.meanQ(), EPS);
        // D disagrees with A on examples 3, 4 and with B on examples 1, 4.
        assertEquals(0.4, div.disagreement()[0][2], EPS);
        assertEquals(0.0, div.doubleFault()[0][2], 0);
        assertEquals(0.0, div.doubleFault()[2][2], 0);
    }

    @Test
    void identicalMembersNeverDisagree() {
        Diversity d = Diversity.of(List.of(A, A.clone()), LABELS);
        assertEquals(0.0, d.meanDisagreement(), 0);
        // N11 = 3, N00 = 2, N10 = N01 = 0: Q = 1; double fault = the shared error rate 2/5.
        assertEquals(1.0, d.meanQ(), 0);
        assertEquals(0.4, d.meanDoubleFault(), EPS);
    }

    @Test
    void oneMemberHasNoPairs() {
        Diversity d = Diversity.of(List.of(B), LABELS);
        assertEquals(0.4, d.doubleFault()[0][0], EPS);
        assertTrue(Double.isNaN(d.meanDisagreement()));
        assertTrue(Double.isNaN(d.meanQ()));
        assertTrue(Double.isNaN(d.meanDoubleFault()));
    }

    @Test
    void invalidInputsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> Diversity.of(List.of(), LABELS));
        assertEquals("member #1 has 4 predictions, expected 5 (one per label)",
                assertThrows(IllegalArgumentException.class,
                        () -> Diversity.of(List.of(A, new int[] {0, 1, 2, 0}), LABELS)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> Diversity.of(List.of(new int[0]), new int[0]));
    }
}
