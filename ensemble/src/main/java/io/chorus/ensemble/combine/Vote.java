package io.chorus.ensemble.combine;

import java.math.BigDecimal;
import java.util.List;

import io.chorus.ensemble.Probabilities;

/**
 * Majority (plurality) vote: each member votes for its predicted class ({@link Probabilities#argmax},
 * lowest index on ties within the member), and the ensemble predicts the class with the most votes.
 */
public final class Vote {

    private Vote() {
    }

    /**
     * The plurality vote of the members for every example.
     *
     * <p>Each member votes for its own argmax (lowest class index if the member itself has tied maxima).
     * The ensemble predicts the class with the most votes. Tie rule: among the classes that share the
     * most votes, the one with the largest summed probability {@code sum_i members[i][j][k]} over
     * <em>all</em> members wins (classes without the most votes are not considered, however much
     * probability they have); if that sum is also tied, the lowest class index wins. The sums are
     * computed and compared exactly (as {@link BigDecimal}s of the members' doubles, without rounding), so
     * the result is the same for every order of the members and a tie means an exact tie. Every member is
     * checked first with {@link Probabilities#validateMembers}, so a member with a NaN or infinite
     * probability is rejected.
     *
     * @param members the members' probabilities, in member order
     * @return the predicted class of every example
     * @throws IllegalArgumentException naming the first invalid member
     */
    public static int[] predict(List<double[][]> members) {
        int numClasses = Probabilities.validateMembers(members);
        int n = members.get(0).length;
        int[][] votes = votes(members, numClasses);
        int[] out = new int[n];
        for (int j = 0; j < n; j++) {
            int[] v = votes[j];
            int most = 0;
            int tied = 0;
            for (int k = 0; k < numClasses; k++) {
                if (v[k] > most) {
                    most = v[k];
                    tied = 1;
                    out[j] = k;
                } else if (v[k] == most) {
                    tied++;
                }
            }
            if (tied == 1) {
                continue;
            }
            BigDecimal bestSum = null;
            for (int k = 0; k < numClasses; k++) {
                if (v[k] != most) {
                    continue;
                }
                BigDecimal sum = BigDecimal.ZERO;
                for (double[][] member : members) {
                    sum = sum.add(new BigDecimal(member[j][k]));
                }
                if (bestSum == null || sum.compareTo(bestSum) > 0) {
                    bestSum = sum;
                    out[j] = k;
                }
            }
        }
        return out;
    }

    /**
     * The vote shares: {@code shares[j][k]} is the fraction of members whose argmax for example {@code j}
     * is class {@code k} (lowest index on a member's own ties), so every row sums to 1. These are the
     * vote's "probabilities" for NLL, Brier score and calibration; a class no member voted for gets 0.
     * Members are checked as in {@link #predict}.
     *
     * @param members the members' probabilities, in member order
     * @return a new {@code n x K} matrix of vote fractions
     * @throws IllegalArgumentException naming the first invalid member
     */
    public static double[][] shares(List<double[][]> members) {
        int numClasses = Probabilities.validateMembers(members);
        int m = members.size();
        int[][] votes = votes(members, numClasses);
        double[][] out = new double[votes.length][numClasses];
        for (int j = 0; j < votes.length; j++) {
            for (int k = 0; k < numClasses; k++) {
                out[j][k] = (double) votes[j][k] / m;
            }
        }
        return out;
    }

    private static int[][] votes(List<double[][]> members, int numClasses) {
        int n = members.get(0).length;
        int[][] votes = new int[n][numClasses];
        for (double[][] member : members) {
            int[] predicted = Probabilities.argmax(member);
            for (int j = 0; j < n; j++) {
                votes[j][predicted[j]]++;
            }
        }
        return votes;
    }
}
