package io.chorus.ensemble.combine;

import java.util.List;

/** The unweighted mean of the members' probabilities ({@link Average#mean}): the {@code average} ensemble. */
public record MeanAverage() implements Combiner {
    private static final long serialVersionUID = 1L;

    @Override
    public String name() {
        return "average";
    }

    @Override
    public double[][] combine(List<double[][]> members) {
        return Average.mean(members);
    }
}
