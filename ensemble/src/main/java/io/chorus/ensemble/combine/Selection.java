package io.chorus.ensemble.combine;

import java.util.List;

import io.chorus.ensemble.Probabilities;

/**
 * Ensemble selection from a library of models: greedy forward selection with replacement on the
 * validation split (Caruana, Niculescu-Mizil, Crew and Ksikes, "Ensemble Selection from Libraries of
 * Models", ICML 2004). The selected ensemble is the average of the picked models, each counted as often
 * as it was picked.
 */
public final class Selection {

    private Selection() {
    }

    /**
     * The outcome of {@link #greedy}.
     *
     * @param counts        {@code counts[i]}: how many times library model {@code i} was picked; the counts
     *                      sum to the number of rounds
     * @param picks         {@code picks[r]}: the library index picked in round {@code r} (0-based)
     * @param validationNll {@code validationNll[r]}: the validation NLL of the ensemble of the models picked
     *                      in rounds {@code 0..r}
     */
    public record Result(int[] counts, int[] picks, double[] validationNll) {
    }

    /**
     * Greedy forward selection with replacement.
     *
     * <p>The ensemble starts empty. In each of exactly {@code rounds} rounds, every library model is tried
     * as an addition (models already picked included), and the one whose addition gives the lowest
     * validation NLL of the running average wins; on a tie the lowest library index wins. The NLL of an
     * ensemble that picked models {@code s_1..s_t} is
     * {@code -(1/n) * sum_j ln(max((1/t) * sum_r library[s_r][j][labels[j]], 1e-15))}, the floor being
     * {@link Probabilities#NLL_FLOOR} as in the metrics. Round 0 therefore picks the best single model. The
     * NLL may rise from one round to the next (the best addition can still hurt); the full trajectory is
     * in {@link Result#validationNll()} so a caller can pick the best prefix.
     *
     * @param library the library models' probabilities on the validation split, in library order
     * @param labels  the validation split's true classes
     * @param rounds  the number of picks, {@code >= 1}
     * @return the counts, the pick of each round and the NLL after each round
     * @throws IllegalArgumentException naming the first invalid model or label, or a bad {@code rounds}
     */
    public static Result greedy(List<double[][]> library, int[] labels, int rounds) {
        double[][] q = Probabilities.trueClass(library, labels);
        if (rounds < 1) {
            throw new IllegalArgumentException("rounds must be at least 1, got " + rounds);
        }
        return search(q, rounds, true);
    }

    /**
     * Best-first order WITHOUT replacement: first the model with the lowest validation NLL, then, each
     * round, the unused model whose addition gives the running average the lowest validation NLL (ties:
     * lowest index), until every model is used.
     *
     * @param library the models' probabilities on the validation split
     * @param labels  the validation split's true classes
     * @return a permutation of {@code 0..m-1}
     * @throws IllegalArgumentException naming the first invalid model or label
     */
    public static int[] order(List<double[][]> library, int[] labels) {
        double[][] q = Probabilities.trueClass(library, labels);
        return search(q, q.length, false).picks();
    }

    /** The greedy search over true-class probabilities {@code q} (models x examples). */
    private static Result search(double[][] q, int rounds, boolean withReplacement) {
        int m = q.length;
        int n = q[0].length;
        int[] counts = new int[m];
        int[] picks = new int[rounds];
        double[] validationNll = new double[rounds];
        double[] sum = new double[n];
        for (int r = 0; r < rounds; r++) {
            int size = r + 1;
            int best = -1;
            double bestNll = Double.POSITIVE_INFINITY;
            for (int i = 0; i < m; i++) {
                if (!withReplacement && counts[i] > 0) {
                    continue;
                }
                double nll = 0;
                for (int j = 0; j < n; j++) {
                    nll -= Math.log(Math.max((sum[j] + q[i][j]) / size, Probabilities.NLL_FLOOR));
                }
                nll /= n;
                if (best < 0 || nll < bestNll) {
                    best = i;
                    bestNll = nll;
                }
            }
            for (int j = 0; j < n; j++) {
                sum[j] += q[best][j];
            }
            counts[best]++;
            picks[r] = best;
            validationNll[r] = bestNll;
        }
        return new Result(counts, picks, validationNll);
    }

    /**
     * The ensemble given by selection counts: the average of the library models weighted by their counts,
     * {@code p[j][k] = sum_i counts[i] * library[i][j][k] / sum_i counts[i]}. Every library model is checked
     * with {@link Probabilities#validateMembers}, including those with count 0.
     *
     * @param library the library models' probabilities (on any split), in library order
     * @param counts  one count per library model, each {@code >= 0}, at least one positive
     * @return a new {@code n x K} matrix
     * @throws IllegalArgumentException naming the first invalid model, or the wrong length or the index and
     *                                  value of the first negative count, or all counts 0
     */
    public static double[][] combine(List<double[][]> library, int[] counts) {
        int numClasses = Probabilities.validateMembers(library);
        if (counts == null) {
            throw new IllegalArgumentException("counts are null");
        }
        if (counts.length != library.size()) {
            throw new IllegalArgumentException("counts has " + counts.length + " entries, expected "
                    + library.size() + " (one per library model)");
        }
        long total = total(counts);
        int n = library.get(0).length;
        double[][] out = new double[n][numClasses];
        for (int i = 0; i < counts.length; i++) {
            if (counts[i] == 0) {
                continue;
            }
            double c = counts[i];
            double[][] model = library.get(i);
            for (int j = 0; j < n; j++) {
                for (int k = 0; k < numClasses; k++) {
                    out[j][k] += c * model[j][k];
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

    /**
     * The sum of {@code counts}, once each count is {@code >= 0} and at least one is positive.
     *
     * @throws IllegalArgumentException naming the index and value of the first negative count, or all counts 0
     */
    static long total(int[] counts) {
        long total = 0;
        for (int i = 0; i < counts.length; i++) {
            if (counts[i] < 0) {
                throw new IllegalArgumentException("count " + i + " is " + counts[i] + ", must be >= 0");
            }
            total += counts[i];
        }
        if (total == 0) {
            throw new IllegalArgumentException("all counts are 0: no model selected");
        }
        return total;
    }
}
