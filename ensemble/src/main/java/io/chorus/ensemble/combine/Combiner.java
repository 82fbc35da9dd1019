package io.chorus.ensemble.combine;

import java.io.Serializable;
import java.util.Arrays;
import java.util.List;

import io.chorus.ensemble.Probabilities;

/**
 * How an ensemble turns its members' class probabilities into its own: one rule, a pure function of the
 * members' {@code n x K} matrices (no I/O, no state that changes), so that the evaluation, batch prediction
 * and the Spark ML model combine alike. Implementations: {@link MeanAverage}, {@link WeightedAverage},
 * {@link MajorityVote}, {@link SelectionAverage} and {@link TemperatureScaled}, which calibrates any other.
 *
 * <p>Combiners are {@link Serializable} so that Spark can ship them to executors inside an ensemble's
 * description.
 */
public interface Combiner extends Serializable {

    /** A short name of the rule, e.g. {@code average} or {@code vote}. */
    String name();

    /**
     * The ensemble's class scores for every example: for every combiner here a distribution per row (for a
     * vote, the vote shares).
     *
     * @param members the members' probabilities, in member order, each {@code n x K}
     * @return a new {@code n x K} matrix
     * @throws IllegalArgumentException naming the first invalid member (or a member count the combiner does
     *                                  not fit)
     */
    double[][] combine(List<double[][]> members);

    /** The ensemble's predicted class of every example: by default the argmax (lowest index on ties) of {@link #combine}. */
    default int[] predict(List<double[][]> members) {
        return Probabilities.argmax(combine(members));
    }

    /**
     * How much each of {@code members} members counts in the members' mixture (for the uncertainty measures);
     * by default each the same, {@code 1/members}.
     *
     * @return one weight per member, summing to 1
     * @throws IllegalArgumentException if the combiner is for another number of members
     */
    default double[] memberWeights(int members) {
        if (members < 1) {
            throw new IllegalArgumentException("members must be at least 1, got " + members);
        }
        double[] w = new double[members];
        Arrays.fill(w, 1.0 / members);
        return w;
    }
}
