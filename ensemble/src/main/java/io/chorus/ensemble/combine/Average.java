package io.chorus.ensemble.combine;

import java.util.List;

import io.chorus.ensemble.Probabilities;

/**
 * Prediction averaging: the ensemble's distribution for an example is the (weighted) mean of its
 * members' distributions.
 */
public final class Average {

    private Average() {
    }

    /**
     * The unweighted mean of the members: {@code p[j][k] = (1/m) * sum_i members[i][j][k]} for {@code m}
     * members. Every member is checked first with {@link Probabilities#validateMembers} (same shape,
     * finite, non-negative, rows summing to 1), so a member with a NaN or infinite probability is rejected.
     *
     * @param members the members' probabilities, in member order (the result does not depend on the order
     *                beyond floating-point rounding)
     * @return a new {@code n x K} matrix
     * @throws IllegalArgumentException naming the first invalid member
     */
    public static double[][] mean(List<double[][]> members) {
        int numClasses = Probabilities.validateMembers(members);
        int m = members.size();
        int n = members.get(0).length;
        double[][] out = new double[n][numClasses];
        for (double[][] member : members) {
            for (int j = 0; j < n; j++) {
                for (int k = 0; k < numClasses; k++) {
                    out[j][k] += member[j][k];
                }
            }
        }
        for (double[] row : out) {
            for (int k = 0; k < numClasses; k++) {
                row[k] /= m;
            }
        }
        return out;
    }

    /**
     * The weighted mean of the members: {@code p[j][k] = sum_i w[i] * members[i][j][k] / sum_i w[i]}.
     * The weights are checked with {@link Weights#validate} (one per member, finite, {@code >= 0}, summing
     * to 1 within 1e-6); dividing by their sum removes that tolerance so every row of the result sums to
     * 1 as exactly as the members' rows do. The members are checked as in {@link #mean}.
     *
     * @param members the members' probabilities, in member order
     * @param weights one weight per member, in member order
     * @return a new {@code n x K} matrix
     * @throws IllegalArgumentException naming the first invalid member or weight
     */
    public static double[][] weighted(List<double[][]> members, double[] weights) {
        int numClasses = Probabilities.validateMembers(members);
        Weights.validate(weights, members.size());
        int n = members.get(0).length;
        double total = 0;
        for (double w : weights) {
            total += w;
        }
        double[][] out = new double[n][numClasses];
        for (int i = 0; i < members.size(); i++) {
            double w = weights[i];
            if (w == 0) {
                continue;
            }
            double[][] member = members.get(i);
            for (int j = 0; j < n; j++) {
                for (int k = 0; k < numClasses; k++) {
                    out[j][k] += w * member[j][k];
                }
            }
        }
        for (double[] row : out) {
            for (int k = 0; k < numClasses; k++) {
                row[k] /= total;
            }
        }
        return out;
    }
}
