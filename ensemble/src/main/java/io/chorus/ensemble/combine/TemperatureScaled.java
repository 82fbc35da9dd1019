package io.chorus.ensemble.combine;

import java.util.List;

import io.chorus.ensemble.calibrate.Temperature;

/**
 * A calibrated ensemble: another combiner's probabilities scaled with one temperature
 * ({@link Temperature#apply}: row j becomes {@code softmax(ln p[j] / T)}), T fitted beforehand, e.g. by
 * {@link Temperature#fit} on a validation split. Scaling keeps the order of every row's classes, so the
 * predicted class is the inner combiner's ({@link #predict} delegates to it, its tie rule included).
 *
 * @param inner       the combiner whose probabilities are scaled
 * @param temperature T, finite and {@code > 0}
 */
public record TemperatureScaled(Combiner inner, double temperature) implements Combiner {
    private static final long serialVersionUID = 1L;

    /**
     * @throws IllegalArgumentException if {@code inner} is null or {@code temperature} is not finite and positive
     */
    public TemperatureScaled {
        if (inner == null) {
            throw new IllegalArgumentException("a temperature-scaled combiner needs a combiner to scale");
        }
        if (!(temperature > 0) || !Double.isFinite(temperature)) {
            throw new IllegalArgumentException("a temperature must be finite and positive, got " + temperature);
        }
    }

    @Override
    public String name() {
        return "temperature-scaled " + inner.name();
    }

    @Override
    public double[][] combine(List<double[][]> members) {
        return Temperature.apply(inner.combine(members), temperature);
    }

    @Override
    public int[] predict(List<double[][]> members) {
        return inner.predict(members);
    }

    @Override
    public double[] memberWeights(int members) {
        return inner.memberWeights(members);
    }
}
