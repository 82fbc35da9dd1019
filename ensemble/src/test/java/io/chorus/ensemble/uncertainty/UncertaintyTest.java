package io.chorus.ensemble.uncertainty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

/** The uncertainty measures on hand-built member outputs, against values worked out by hand. */
class UncertaintyTest {
    private static final double LN2 = Math.log(2);

    @Test
    void identicalMembersHaveNoMutualInformationAndFullVoteMargin() {
        double[][] p = {{0.7, 0.2, 0.1}, {1.0 / 3, 1.0 / 3, 1.0 / 3}};
        Uncertainty.Measures u = Uncertainty.of(List.of(p, p, p));
        double h0 = -(0.7 * Math.log(0.7) + 0.2 * Math.log(0.2) + 0.1 * Math.log(0.1));
        assertEquals(h0, u.predictiveEntropy()[0], 1e-12);
        assertEquals(Math.log(3), u.predictiveEntropy()[1], 1e-12, "uniform over 3 classes");
        assertEquals(u.predictiveEntropy()[0], u.expectedEntropy()[0], 1e-12);
        assertEquals(0, u.mutualInformation()[0], 1e-12);
        assertEquals(0, u.mutualInformation()[1], 1e-12);
        assertEquals(1.0, u.voteMargin()[0], 0.0);
    }

    @Test
    void confidentMembersThatDisagreeCarryOneBitOfMutualInformation() {
        double[][] a = {{1, 0}};
        double[][] b = {{0, 1}};
        Uncertainty.Measures u = Uncertainty.of(List.of(a, b));
        assertEquals(LN2, u.predictiveEntropy()[0], 1e-12, "the mean is (0.5, 0.5)");
        assertEquals(0, u.expectedEntropy()[0], 0.0, "each member is certain");
        assertEquals(LN2, u.mutualInformation()[0], 1e-12, "all of it is disagreement");
        assertEquals(0, u.voteMargin()[0], 0.0, "one vote each");
    }

    @Test
    void partialDisagreementByHand() {
        // Members (0.9, 0.1), (0.6, 0.4), (0.3, 0.7): mean (0.6, 0.4); votes 2:1 for class 0.
        double[][] m1 = {{0.9, 0.1}};
        double[][] m2 = {{0.6, 0.4}};
        double[][] m3 = {{0.3, 0.7}};
        Uncertainty.Measures u = Uncertainty.of(List.of(m1, m2, m3));
        double h = -(0.6 * Math.log(0.6) + 0.4 * Math.log(0.4));
        double e = (-(0.9 * Math.log(0.9) + 0.1 * Math.log(0.1)) + h - (0.3 * Math.log(0.3) + 0.7 * Math.log(0.7))) / 3;
        assertEquals(h, u.predictiveEntropy()[0], 1e-12);
        assertEquals(e, u.expectedEntropy()[0], 1e-12);
        assertEquals(h - e, u.mutualInformation()[0], 1e-12);
        assertTrue(u.mutualInformation()[0] > 0);
        assertEquals(1.0 / 3, u.voteMargin()[0], 1e-12, "2/3 for class 0 minus 1/3 for class 1");
    }

    @Test
    void invalidMembersAreRejectedByName() {
        double[][] good = {{0.5, 0.5}};
        double[][] bad = {{Double.NaN, 0.5}};
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Uncertainty.of(List.of(good, bad)));
        assertTrue(e.getMessage().startsWith("model #1: row 0"), e.getMessage());
    }

    @Test
    void weightsMakeAWeightedMixture() {
        double[][] a = {{1, 0}};
        double[][] b = {{0, 1}};
        Uncertainty.Measures u = Uncertainty.of(List.of(a, b), new double[] {0.75, 0.25});
        double h = -(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25));
        assertEquals(h, u.predictiveEntropy()[0], 1e-12, "the mixture is (0.75, 0.25)");
        assertEquals(h, u.mutualInformation()[0], 1e-12, "certain members: all of it is disagreement");
        assertEquals(0, u.voteMargin()[0], 0.0, "one vote each, whatever the weights");
    }
}
