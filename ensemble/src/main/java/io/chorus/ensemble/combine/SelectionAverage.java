package io.chorus.ensemble.combine;

import java.util.List;

/**
 * The ensemble an ensemble selection ({@link Selection#greedy}) picked: the average of the library models,
 * each counted as often as it was picked ({@link Selection#combine}), i.e. a weighted average with weights
 * {@code counts[i] / sum(counts)}.
 *
 * @param counts one count per member (library model), each {@code >= 0}, at least one positive; copied
 */
public record SelectionAverage(int[] counts) implements Combiner {
    private static final long serialVersionUID = 1L;

    /**
     * @throws IllegalArgumentException naming the first negative count, or all counts 0
     */
    public SelectionAverage {
        if (counts == null || counts.length == 0) {
            throw new IllegalArgumentException("a selection needs one count per model, got none");
        }
        Selection.total(counts);
        counts = counts.clone();
    }

    @Override
    public int[] counts() {
        return counts.clone();
    }

    @Override
    public String name() {
        return "selection";
    }

    @Override
    public double[][] combine(List<double[][]> members) {
        return Selection.combine(members, counts);
    }

    /** {@code counts[i] / sum(counts)}. */
    @Override
    public double[] memberWeights(int members) {
        if (members != counts.length) {
            throw new IllegalArgumentException("counts has " + counts.length + " entries, expected " + members
                    + " (one per library model)");
        }
        double total = Selection.total(counts);
        double[] w = new double[members];
        for (int i = 0; i < members; i++) {
            w[i] = counts[i] / total;
        }
        return w;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SelectionAverage s && java.util.Arrays.equals(counts, s.counts);
    }

    @Override
    public int hashCode() {
        return java.util.Arrays.hashCode(counts);
    }

    @Override
    public String toString() {
        return "SelectionAverage" + java.util.Arrays.toString(counts);
    }
}
