package io.chorus.ensemble.combine;

import java.util.List;

/**
 * The weighted mean of the members' probabilities ({@link Average#weighted}) with fixed weights, one per
 * member in member order, checked by {@link Weights#validate} when made (finite, {@code >= 0}, summing to 1)
 * and against the number of members when combining.
 *
 * @param weights one weight per member; copied, so the combiner does not change with the array
 */
public record WeightedAverage(double[] weights) implements Combiner {
    private static final long serialVersionUID = 1L;

    /**
     * @throws IllegalArgumentException naming the first bad weight, or the wrong sum
     */
    public WeightedAverage {
        Weights.validate(weights, weights == null || weights.length == 0 ? 1 : weights.length);
        weights = weights.clone();
    }

    @Override
    public double[] weights() {
        return weights.clone();
    }

    @Override
    public String name() {
        return "weighted-average";
    }

    @Override
    public double[][] combine(List<double[][]> members) {
        return Average.weighted(members, weights);
    }

    @Override
    public double[] memberWeights(int members) {
        Weights.validate(weights, members);
        return weights.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof WeightedAverage w && java.util.Arrays.equals(weights, w.weights);
    }

    @Override
    public int hashCode() {
        return java.util.Arrays.hashCode(weights);
    }

    @Override
    public String toString() {
        return "WeightedAverage" + java.util.Arrays.toString(weights);
    }
}
