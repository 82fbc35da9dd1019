package io.chorus.ensemble.combine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import io.chorus.ensemble.Probabilities;

class VoteTest {

    @Test
    void theMajorityWinsEvenAgainstMoreSummedProbability() {
        double[][] m0 = {{1.0, 0.0, 0.0}};
        double[][] m1 = {{0.4, 0.6, 0.0}};
        double[][] m2 = {{0.4, 0.6, 0.0}};
        // Votes: 0, 1, 1 -> class 1, although class 0 has the larger summed probability (1.8 against 1.2).
        assertArrayEquals(new int[] {1}, Vote.predict(List.of(m0, m1, m2)));
        assertArrayEquals(new int[] {0}, Probabilities.argmax(Average.mean(List.of(m0, m1, m2))));
    }

    @Test
    void aVoteTieGoesToTheTiedClassWithTheLargestSummedProbability() {
        // Votes 0 and 2; summed probabilities 0.75, 0.375, 0.875 -> class 2 (not the lowest tied index).
        double[][] m0 = {{0.75, 0.25, 0.0}};
        double[][] m1 = {{0.0, 0.125, 0.875}};
        assertArrayEquals(new int[] {2}, Vote.predict(List.of(m0, m1)));
        assertArrayEquals(new int[] {2}, Vote.predict(List.of(m1, m0)));
    }

    @Test
    void onlyClassesTiedOnVotesAreConsidered() {
        // Votes 0 and 2; class 1 has the largest summed probability (0.8) but no vote. Classes 0 and 2 tie on
        // the sum too (0.6 each), so the lowest index, 0, wins.
        double[][] m0 = {{0.5, 0.4, 0.1}};
        double[][] m1 = {{0.1, 0.4, 0.5}};
        assertArrayEquals(new int[] {0}, Vote.predict(List.of(m0, m1)));
        assertArrayEquals(new int[] {0}, Vote.predict(List.of(m1, m0)));
    }

    @Test
    void aTieOnVotesAndSumsGoesToTheLowestTiedIndex() {
        // Example 0: votes for 0 and 2, sums 0.75, 0.5, 0.75 -> 0.
        // Example 1: votes for 1 and 2, sums 0.25, 0.875, 0.875 -> 1 (class 0 is not tied on votes).
        double[][] m0 = {{0.5, 0.25, 0.25}, {0.125, 0.5, 0.375}};
        double[][] m1 = {{0.25, 0.25, 0.5}, {0.125, 0.375, 0.5}};
        assertArrayEquals(new int[] {0, 1}, Vote.predict(List.of(m0, m1)));
        assertArrayEquals(new int[] {0, 1}, Vote.predict(List.of(m1, m0)));
        // Four members, two votes each for classes 1 and 3; sums 0.5, 1.5, 0.5, 1.5 -> 1.
        double[][] a = {{0.125, 0.5, 0.125, 0.25}};
        double[][] b = {{0.125, 0.25, 0.125, 0.5}};
        assertArrayEquals(new int[] {1}, Vote.predict(List.of(a, b, a, b)));
        assertArrayEquals(new int[] {1}, Vote.predict(List.of(b, b, a, a)));
    }

    @Test
    void summedProbabilitiesAreComparedExactlyWhateverTheMemberOrder() {
        // One vote each for classes 0, 1 and 2. Class 0 sums to the double 0.6; class 1 to 0.1 + 0.3 + 0.2,
        // whose exact value (0.6000000000000000055...) is above the double 0.6 (0.5999999999999999778...), so
        // class 1 wins. Adding in double arithmetic would depend on the order: (0.3 + 0.2) + 0.1 rounds to 0.6
        // and would tie (class 0), (0.1 + 0.3) + 0.2 rounds to 0.6000000000000001.
        double[][] m0 = {{0.6, 0.1, 0.0, 0.1, 0.1, 0.1}};
        double[][] m1 = {{0.0, 0.3, 0.0, 0.25, 0.25, 0.2}};
        double[][] m2 = {{0.0, 0.2, 0.35, 0.15, 0.15, 0.15}};
        assertEquals(0.6, (0.3 + 0.2) + 0.1, 0);
        int[][] perms = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
        List<double[][]> all = List.of(m0, m1, m2);
        for (int[] perm : perms) {
            List<double[][]> members = List.of(all.get(perm[0]), all.get(perm[1]), all.get(perm[2]));
            assertArrayEquals(new int[] {1}, Vote.predict(members), "order " + Arrays.toString(perm));
        }
    }

    @Test
    void aMemberVotesForItsLowestTiedArgmax() {
        // Member 0 is tied between 1 and 2 and votes 1; members 1 and 2 vote 1 and 2 -> class 1 wins 2 to 1.
        double[][] m0 = {{0.0, 0.5, 0.5}};
        double[][] m1 = {{0.0, 0.6, 0.4}};
        double[][] m2 = {{0.0, 0.1, 0.9}};
        assertArrayEquals(new int[] {1}, Vote.predict(List.of(m0, m1, m2)));
        assertArrayEquals(new double[] {0, 2.0 / 3, 1.0 / 3}, Vote.shares(List.of(m0, m1, m2))[0], 0);
    }

    @Test
    void identicalMembersVoteForThatMembersPrediction() {
        double[][] a = AverageTest.randomMember(new SplittableRandom(2), 25, 4);
        int[] argmax = Probabilities.argmax(a);
        assertArrayEquals(argmax, Vote.predict(List.of(a, a, a)));
        assertArrayEquals(argmax, Vote.predict(List.<double[][]>of(a)));
        double[][] shares = Vote.shares(List.of(a, a, a, a));
        for (int j = 0; j < a.length; j++) {
            double[] oneHot = new double[4];
            oneHot[argmax[j]] = 1;
            assertArrayEquals(oneHot, shares[j], 0, "row " + j);
        }
    }

    @Test
    void sharesAreTheFractionOfMembersVotingForEachClass() {
        double[][] m0 = {{0.7, 0.2, 0.1}, {0.1, 0.1, 0.8}};
        double[][] m1 = {{0.6, 0.3, 0.1}, {0.1, 0.8, 0.1}};
        double[][] m2 = {{0.1, 0.2, 0.7}, {0.3, 0.3, 0.4}};
        double[][] m3 = {{0.2, 0.5, 0.3}, {0.2, 0.2, 0.6}};
        double[][] shares = Vote.shares(List.of(m0, m1, m2, m3));
        assertArrayEquals(new double[] {0.5, 0.25, 0.25}, shares[0], 0);
        assertArrayEquals(new double[] {0.0, 0.25, 0.75}, shares[1], 0);
        assertArrayEquals(new int[] {0, 2}, Vote.predict(List.of(m0, m1, m2, m3)));
    }

    @Test
    void memberOrderDoesNotChangeTheVote() {
        SplittableRandom r = new SplittableRandom(23);
        List<double[][]> members = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            // Coarse probabilities (multiples of 1/4 over 3 classes) make vote ties frequent.
            double[][] p = new double[200][3];
            for (double[] row : p) {
                int a = r.nextInt(5);
                int b = r.nextInt(5 - a);
                row[0] = a / 4.0;
                row[1] = b / 4.0;
                row[2] = (4 - a - b) / 4.0;
            }
            members.add(p);
        }
        int[] predicted = Vote.predict(members);
        double[][] shares = Vote.shares(members);
        int[][] perms = {{5, 4, 3, 2, 1, 0}, {2, 0, 5, 1, 4, 3}, {1, 3, 5, 0, 2, 4}};
        for (int[] perm : perms) {
            List<double[][]> permuted = new ArrayList<>();
            for (int i : perm) {
                permuted.add(members.get(i));
            }
            assertArrayEquals(predicted, Vote.predict(permuted));
            double[][] s = Vote.shares(permuted);
            for (int j = 0; j < shares.length; j++) {
                assertArrayEquals(shares[j], s[j], 0);
            }
        }
    }

    @Test
    void aMemberWithNonFiniteProbabilitiesIsRejected() {
        double[][] good = {{0.5, 0.5}};
        double[][] nan = {{Double.NaN, 0.5}};
        double[][] inf = {{0.5, Double.NEGATIVE_INFINITY}};
        assertEquals("model #1: row 0 has a non-finite probability (NaN) at class 0",
                assertThrows(IllegalArgumentException.class, () -> Vote.predict(List.of(good, nan))).getMessage());
        assertThrows(IllegalArgumentException.class, () -> Vote.predict(List.of(inf, good)));
        assertThrows(IllegalArgumentException.class, () -> Vote.shares(List.of(good, nan)));
    }
}
