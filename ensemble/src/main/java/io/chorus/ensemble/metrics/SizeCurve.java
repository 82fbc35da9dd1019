package io.chorus.ensemble.metrics;

import java.util.ArrayList;
import java.util.List;

import io.chorus.ensemble.Probabilities;
import io.chorus.ensemble.combine.Average;
import io.chorus.ensemble.combine.Vote;

/**
 * Metrics against ensemble size: how the ensemble of the first k members of an order scores, for
 * k = 1..m, and the best-first order in which to add members.
 */
public final class SizeCurve {

    /** How the first k members are combined. */
    public enum Combiner {
        /**
         * {@link Average#mean}, evaluated as {@code Metrics.of(mean, Probabilities.argmax(mean), labels)}.
         */
        AVERAGE,
        /**
         * {@link Vote}, evaluated as {@code Metrics.of(Vote.shares(first k), Vote.predict(first k), labels)}.
         */
        VOTE
    }

    private SizeCurve() {
    }

    /**
     * The metrics of the growing ensembles along {@code order}: entry {@code k-1} is the metrics of the
     * ensemble of members {@code order[0..k-1]} combined by {@code combiner}, for k = 1..order.length.
     * Each entry is computed from scratch with the combiner, so it equals evaluating that sub-ensemble on
     * its own; the whole curve costs {@code O(order.length^2 * n * K)}.
     *
     * @param members  the members' probabilities on the evaluation split, in member order
     * @param labels   the true classes
     * @param order    distinct member indices in {@code [0, m)}, at least one; need not name every member
     * @param combiner how the members are combined
     * @return one {@link Metrics} per prefix of {@code order}
     * @throws IllegalArgumentException naming the first invalid member, label or order entry (a repeat or
     *                                  an index out of range)
     */
    public static List<Metrics> inOrder(List<double[][]> members, int[] labels, int[] order, Combiner combiner) {
        int numClasses = Probabilities.validateMembers(members);
        Probabilities.checkLabels(labels, members.get(0).length, numClasses);
        if (combiner == null) {
            throw new IllegalArgumentException("combiner is null");
        }
        if (order == null || order.length == 0) {
            throw new IllegalArgumentException("order must name at least one member");
        }
        boolean[] seen = new boolean[members.size()];
        for (int r = 0; r < order.length; r++) {
            int i = order[r];
            if (i < 0 || i >= members.size()) {
                throw new IllegalArgumentException("order entry " + r + " is " + i + ", not a member in [0, "
                        + members.size() + ")");
            }
            if (seen[i]) {
                throw new IllegalArgumentException("order entry " + r + " repeats member " + i);
            }
            seen[i] = true;
        }
        List<Metrics> out = new ArrayList<>(order.length);
        List<double[][]> prefix = new ArrayList<>(order.length);
        for (int i : order) {
            prefix.add(members.get(i));
            if (combiner == Combiner.AVERAGE) {
                double[][] mean = Average.mean(prefix);
                out.add(Metrics.of(mean, Probabilities.argmax(mean), labels));
            } else {
                out.add(Metrics.of(Vote.shares(prefix), Vote.predict(prefix), labels));
            }
        }
        return out;
    }

    /**
     * The best-first order of the members on the validation split: greedy forward selection without
     * replacement. First the member with the lowest validation NLL; then, repeatedly, the not yet chosen
     * member whose addition gives the lowest validation NLL of the unweighted average of the chosen
     * members; ties go to the lowest member index. The NLL of a set S is
     * {@code -(1/n) sum_j ln(max((1/|S|) sum_{i in S} validation[i][j][labels[j]], 1e-15))}
     * ({@link Probabilities#NLL_FLOOR}).
     *
     * @param validation the members' probabilities on the validation split, in member order
     * @param labels     the validation split's true classes
     * @return a permutation of {@code 0..m-1}
     * @throws IllegalArgumentException naming the first invalid member or label
     */
    public static int[] greedyOrder(List<double[][]> validation, int[] labels) {
        return io.chorus.ensemble.combine.Selection.order(validation, labels);
    }
}
