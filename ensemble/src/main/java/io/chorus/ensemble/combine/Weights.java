package io.chorus.ensemble.combine;

import java.util.Arrays;
import java.util.List;

import io.chorus.ensemble.Probabilities;

/**
 * Member weights for {@link Average#weighted}: their validation, and fitting them on a validation split.
 */
public final class Weights {

    /** How far the weights' sum may be from 1. */
    public static final double SUM_TOLERANCE = 1e-6;

    /** The most update steps {@link #fit} takes. */
    public static final int MAX_ITERATIONS = 500;

    /** {@link #fit} stops once one step lowers the validation NLL by less than this. */
    public static final double MIN_IMPROVEMENT = 1e-9;

    private Weights() {
    }

    /**
     * Checks that {@code w} is a point of the probability simplex over {@code members} members: exactly
     * {@code members} entries, each finite and {@code >= 0}, summing to 1 within {@link #SUM_TOLERANCE}
     * (1e-6).
     *
     * @param w       the weights, in member order
     * @param members the number of members
     * @throws IllegalArgumentException naming the wrong length, the index and value of the first bad
     *                                  weight (e.g. {@code "weight 2 is -0.1, must be finite and >= 0"}),
     *                                  or the wrong sum
     */
    public static void validate(double[] w, int members) {
        if (members < 1) {
            throw new IllegalArgumentException("members must be at least 1, got " + members);
        }
        if (w == null) {
            throw new IllegalArgumentException("weights are null");
        }
        if (w.length != members) {
            throw new IllegalArgumentException("weights has " + w.length + " entries, expected " + members
                    + " (one per member)");
        }
        double sum = 0;
        for (int i = 0; i < w.length; i++) {
            if (!Double.isFinite(w[i]) || w[i] < 0) {
                throw new IllegalArgumentException("weight " + i + " is " + w[i] + ", must be finite and >= 0");
            }
            sum += w[i];
        }
        if (Math.abs(sum - 1) > SUM_TOLERANCE) {
            throw new IllegalArgumentException("weights sum to " + sum + ", not 1 (tolerance " + SUM_TOLERANCE
                    + "): " + Arrays.toString(w));
        }
    }

    /**
     * Weights on the simplex that minimize the validation negative log-likelihood of the weighted average
     * of the members.
     *
     * <p>With {@code q[i][j] = max(validation[i][j][labels[j]], 1e-15)} (member i's probability for the
     * true class of example j, floored at {@link Probabilities#NLL_FLOOR}), the objective is
     * {@code NLL(w) = -(1/n) * sum_j ln(sum_i w[i] * q[i][j])}, which is convex in {@code w}. Starting from
     * uniform weights {@code 1/m}, each step is the multiplicative (expectation-maximization) update for
     * mixture weights:
     * {@code w[i] <- w[i] * (1/n) * sum_j q[i][j] / (sum_l w[l] * q[l][j])}, i.e. {@code w[i] <- w[i] *
     * (-dNLL/dw[i])}. It is exponentiated-gradient-like mirror descent on the simplex that needs no step
     * size: the new weights sum to 1 by construction (they are renormalized only against rounding), stay
     * non-negative, and never increase the NLL. The loop runs at most {@link #MAX_ITERATIONS} (500) steps
     * and stops as soon as a step lowers the NLL by less than {@link #MIN_IMPROVEMENT} (1e-9); a step that
     * would raise the NLL through rounding is discarded. The result is deterministic, and its NLL is never
     * above that of uniform weights. Weights of useless members decay geometrically toward 0 but only
     * reach it by underflow.
     *
     * @param validation the members' probabilities on the validation split, in member order
     * @param labels     the validation split's true classes
     * @return one weight per member, {@code >= 0}, summing to 1 (accepted by {@link #validate})
     * @throws IllegalArgumentException naming the first invalid member or label
     */
    public static double[] fit(List<double[][]> validation, int[] labels) {
        double[][] q = Probabilities.trueClass(validation, labels);
        int m = q.length;
        int n = q[0].length;
        for (double[] row : q) {
            for (int j = 0; j < n; j++) {
                row[j] = Math.max(row[j], Probabilities.NLL_FLOOR);
            }
        }

        double[] w = new double[m];
        Arrays.fill(w, 1.0 / m);
        double[] mix = mixture(q, w);
        double nll = nll(mix);
        for (int it = 0; it < MAX_ITERATIONS; it++) {
            double[] next = new double[m];
            double total = 0;
            for (int i = 0; i < m; i++) {
                double ratio = 0;
                for (int j = 0; j < n; j++) {
                    ratio += q[i][j] / mix[j];
                }
                next[i] = w[i] * (ratio / n);
                total += next[i];
            }
            for (int i = 0; i < m; i++) {
                next[i] /= total;
            }
            double[] nextMix = mixture(q, next);
            double nextNll = nll(nextMix);
            if (!(nextNll <= nll)) {
                break;
            }
            double improvement = nll - nextNll;
            w = next;
            mix = nextMix;
            nll = nextNll;
            if (improvement < MIN_IMPROVEMENT) {
                break;
            }
        }
        return w;
    }

    private static double[] mixture(double[][] q, double[] w) {
        int n = q[0].length;
        double[] mix = new double[n];
        for (int i = 0; i < q.length; i++) {
            for (int j = 0; j < n; j++) {
                mix[j] += w[i] * q[i][j];
            }
        }
        return mix;
    }

    private static double nll(double[] mix) {
        double s = 0;
        for (double v : mix) {
            s -= Math.log(v);
        }
        return s / mix.length;
    }
}
