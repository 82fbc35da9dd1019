package io.chorus.ensemble;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import org.junit.jupiter.api.Test;

class ProbabilitiesTest {

    private static String rejected(double[][] p, int numClasses, String model) {
        return assertThrows(IllegalArgumentException.class, () -> Probabilities.validate(p, numClasses, model))
                .getMessage();
    }

    @Test
    void validateAcceptsDistributionsWithinTheRowSumTolerance() {
        assertDoesNotThrow(() -> Probabilities.validate(new double[][] {{0.5, 0.5}, {1, 0}, {0.2995, 0.7}}, 2, "m0"));
        assertDoesNotThrow(() -> Probabilities.validate(new double[][] {{0.25, 0.25, 0.5005}}, 3, "m0"));
    }

    @Test
    void validateNamesTheModelRowAndNonFiniteValue() {
        double[][] p = {{0.5, 0.5}, {Double.NaN, 0.5}};
        assertEquals("model m3: row 1 has a non-finite probability (NaN) at class 0", rejected(p, 2, "m3"));
        double[][] inf = {{0.5, 0.5}, {0.5, 0.5}, {0, Double.POSITIVE_INFINITY}};
        assertEquals("model m1: row 2 has a non-finite probability (Infinity) at class 1", rejected(inf, 2, "m1"));
        double[][] negInf = {{Double.NEGATIVE_INFINITY, 1}};
        assertEquals("model x: row 0 has a non-finite probability (-Infinity) at class 0", rejected(negInf, 2, "x"));
    }

    @Test
    void validateRejectsNegativeProbabilitiesAndBadSums() {
        assertEquals("model m2: row 0 has a negative probability (-0.1) at class 1",
                rejected(new double[][] {{1.1, -0.1}}, 2, "m2"));
        String sum = rejected(new double[][] {{0.5, 0.5}, {0.4, 0.5}}, 2, "m2");
        assertEquals("model m2: row 1 sums to 0.9, not 1 (tolerance 0.001)", sum);
        // 1.002 is outside the tolerance of 1e-3.
        assertThrows(IllegalArgumentException.class,
                () -> Probabilities.validate(new double[][] {{0.502, 0.5}}, 2, "m2"));
    }

    @Test
    void validateRejectsWrongShapes() {
        assertEquals("model m0: row 1 has 3 columns, expected 2",
                rejected(new double[][] {{0.5, 0.5}, {0.2, 0.3, 0.5}}, 2, "m0"));
        assertEquals("model m0: no rows (no examples)", rejected(new double[0][], 2, "m0"));
        assertEquals("model m0: probabilities are null", rejected(null, 2, "m0"));
        assertEquals("model m0: numClasses must be at least 2, got 1", rejected(new double[][] {{1}}, 1, "m0"));
        assertEquals("model m0: row 0 is null", rejected(new double[][] {null}, 2, "m0"));
    }

    @Test
    void argmaxTakesTheLowestIndexOnTies() {
        double[][] p = {
            {0.1, 0.6, 0.3},
            {0.4, 0.2, 0.4},
            {0.25, 0.375, 0.375},
            {1.0 / 3, 1.0 / 3, 1.0 / 3},
            {0, 0, 1},
        };
        assertArrayEquals(new int[] {1, 0, 1, 0, 2}, Probabilities.argmax(p));
        assertArrayEquals(new int[0], Probabilities.argmax(new double[0][]));
        assertThrows(IllegalArgumentException.class, () -> Probabilities.argmax(new double[][] {{0.5, Double.NaN}}));
        assertThrows(IllegalArgumentException.class, () -> Probabilities.argmax(new double[][] {{}}));
    }

    @Test
    void checkSameShapeNamesTheMismatchingMember() {
        double[][] a = {{0.5, 0.5}, {0.5, 0.5}};
        double[][] b = {{0.5, 0.5}, {0.5, 0.5}};
        assertDoesNotThrow(() -> Probabilities.checkSameShape(List.<double[][]>of(a)));
        assertDoesNotThrow(() -> Probabilities.checkSameShape(List.of(a, b)));

        double[][] shortRows = {{0.5, 0.5}};
        assertEquals("member #1 has 1 rows, member #0 has 2",
                assertThrows(IllegalArgumentException.class,
                        () -> Probabilities.checkSameShape(List.of(a, shortRows))).getMessage());
        double[][] wide = {{0.5, 0.5}, {0.2, 0.3, 0.5}};
        assertEquals("member #2: row 1 has 3 columns, member #0 has 2",
                assertThrows(IllegalArgumentException.class,
                        () -> Probabilities.checkSameShape(List.of(a, b, wide))).getMessage());
        assertThrows(IllegalArgumentException.class, () -> Probabilities.checkSameShape(List.of()));
        assertThrows(IllegalArgumentException.class, () -> Probabilities.checkSameShape(null));
    }

    @Test
    void validateMembersReturnsTheClassCountAndNamesTheBadMemberByIndex() {
        double[][] a = {{0.2, 0.3, 0.5}};
        double[][] bad = {{0.2, Double.NaN, 0.5}};
        assertEquals(3, Probabilities.validateMembers(List.of(a, a)));
        assertEquals("model #1: row 0 has a non-finite probability (NaN) at class 1",
                assertThrows(IllegalArgumentException.class,
                        () -> Probabilities.validateMembers(List.of(a, bad))).getMessage());
    }

    @Test
    void checkLabelsNamesTheBadLabel() {
        assertDoesNotThrow(() -> Probabilities.checkLabels(new int[] {0, 2, 1}, 3, 3));
        assertEquals("label 1 is 3, not a class in [0, 3)",
                assertThrows(IllegalArgumentException.class,
                        () -> Probabilities.checkLabels(new int[] {0, 3, 1}, 3, 3)).getMessage());
        assertEquals("label 0 is -1, not a class in [0, 3)",
                assertThrows(IllegalArgumentException.class,
                        () -> Probabilities.checkLabels(new int[] {-1}, 1, 3)).getMessage());
        assertEquals("labels has 2 entries, expected 3 (one per example)",
                assertThrows(IllegalArgumentException.class,
                        () -> Probabilities.checkLabels(new int[] {0, 1}, 3, 3)).getMessage());
    }
}
