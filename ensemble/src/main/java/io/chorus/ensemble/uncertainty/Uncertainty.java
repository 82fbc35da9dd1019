package io.chorus.ensemble.uncertainty;

import java.util.List;

import io.chorus.ensemble.Probabilities;
import io.chorus.ensemble.combine.Average;
import io.chorus.ensemble.combine.Vote;

/**
 * Per-example uncertainty of an ensemble, from its members' class probabilities (natural logarithms,
 * so entropies are in nats):
 * <ul>
 *   <li>predictive entropy {@code H[p̄] = -sum_k p̄_k log p̄_k} of the mean distribution: all the
 *       uncertainty of the averaged prediction;</li>
 *   <li>expected entropy {@code (1/m) sum_i H[p_i]}: the uncertainty each member has on its own
 *       (aleatoric, if the members are good);</li>
 *   <li>mutual information {@code H[p̄] - (1/m) sum_i H[p_i]} between the prediction and the choice of
 *       member: how much the members disagree (epistemic). It is non-negative (entropy is concave); a
 *       negative difference of rounding size is reported as 0;</li>
 *   <li>vote margin: the share of members voting for the winning class (the vote's tie rule) minus the
 *       largest share among the other classes, in [0, 1]; 1 when all agree.</li>
 * </ul>
 * Terms with {@code p = 0} contribute 0 ({@code 0 log 0 = 0}). With weights (a weighted average, a
 * selection with repeats) the mixture is weighted: {@code p̄ = sum_i w_i p_i} and the expected entropy is
 * {@code sum_i w_i H[p_i]}; the vote margin counts one vote per member.
 */
public final class Uncertainty {

    /** Per-example measures, each of length n. */
    public record Measures(double[] predictiveEntropy, double[] expectedEntropy, double[] mutualInformation,
                           double[] voteMargin) {
    }

    private Uncertainty() {
    }

    /**
     * @param members the members' probabilities, in member order, checked with
     *                {@link Probabilities#validateMembers}
     */
    public static Measures of(List<double[][]> members) {
        double[] uniform = new double[members.size()];
        java.util.Arrays.fill(uniform, 1.0 / members.size());
        return of(members, uniform);
    }

    /**
     * @param members the members' probabilities, checked with {@link Probabilities#validateMembers}
     * @param weights one per member, checked with {@code Weights.validate}
     */
    public static Measures of(List<double[][]> members, double[] weights) {
        double[][] mean = Average.weighted(members, weights);
        int n = mean.length;
        double[] predictive = new double[n];
        double[] expected = new double[n];
        double[] mutual = new double[n];
        for (int j = 0; j < n; j++) {
            predictive[j] = entropy(mean[j]);
            double sum = 0;
            for (int i = 0; i < members.size(); i++) {
                sum += weights[i] * entropy(members.get(i)[j]);
            }
            expected[j] = sum;
            mutual[j] = Math.max(0, predictive[j] - expected[j]);
        }
        return new Measures(predictive, expected, mutual, voteMargins(members));
    }

    /** {@code -sum_k p_k log p_k}, with {@code 0 log 0 = 0}. */
    public static double entropy(double[] p) {
        double h = 0;
        for (double x : p) {
            if (x > 0) {
                h -= x * Math.log(x);
            }
        }
        return h;
    }

    private static double[] voteMargins(List<double[][]> members) {
        double[][] shares = Vote.shares(members);
        int[] winner = Vote.predict(members);
        double[] margin = new double[shares.length];
        for (int j = 0; j < shares.length; j++) {
            double runnerUp = 0;
            for (int k = 0; k < shares[j].length; k++) {
                if (k != winner[j]) {
                    runnerUp = Math.max(runnerUp, shares[j][k]);
                }
            }
            margin[j] = shares[j][winner[j]] - runnerUp;
        }
        return margin;
    }
}
