package io.chorus.ensemble.combine;

import java.util.List;

/**
 * Plurality vote of the members ({@link Vote}): the predicted class is {@link Vote#predict} (a tie on votes
 * goes to the tied class with the largest summed probability, then to the lowest index), the class scores
 * are the vote shares ({@link Vote#shares}). The prediction is not always the argmax of the shares: the tie
 * rule looks at the members' probabilities.
 */
public record MajorityVote() implements Combiner {
    private static final long serialVersionUID = 1L;

    @Override
    public String name() {
        return "vote";
    }

    @Override
    public double[][] combine(List<double[][]> members) {
        return Vote.shares(members);
    }

    @Override
    public int[] predict(List<double[][]> members) {
        return Vote.predict(members);
    }
}
