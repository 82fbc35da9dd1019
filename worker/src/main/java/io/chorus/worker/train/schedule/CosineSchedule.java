package io.chorus.worker.train.schedule;

import java.util.Objects;

import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * Cosine annealing over a whole training run:
 * {@code alpha(i) = alpha0 / 2 * (cos(pi * min(i, T) / T) + 1)}, where {@code i} is DL4J's 0-based
 * iteration counter (minibatches already done) and {@code T} the total number of iterations of the run.
 *
 * <p>DL4J 1.0.0-M2.1 ships no cosine schedule, so Chorus provides one. The learning rate starts at
 * {@code alpha0} on the first minibatch and reaches 0 at {@code i = T}; the {@code min(i, T)} clamp keeps it
 * at 0 (instead of rising again) if training runs past the planned length, e.g. when a member is
 * fine-tuned after the planned run.
 *
 * <p>Instances are immutable. They live inside an updater configuration (e.g. {@code new Nesterovs(schedule,
 * 0.9)}) and are therefore written into DL4J's configuration JSON and model zip files. {@link ISchedule}
 * declares polymorphic typing by class name ({@code "@class"}), so all this class needs is a
 * {@link JsonCreator} constructor whose parameters are named with the <em>shaded</em> Jackson annotations
 * that DL4J's own mapper understands (the unshaded {@code com.fasterxml} annotations would be ignored).
 * The constructor validates, so a corrupted configuration fails on load rather than training with a
 * nonsensical learning rate.
 */
public final class CosineSchedule implements ISchedule {

    private static final long serialVersionUID = 1L;

    @JsonProperty("initialValue")
    private final double initialValue;
    @JsonProperty("totalIterations")
    private final int totalIterations;

    /**
     * @param initialValue    the learning rate at iteration 0; finite and {@code > 0}
     * @param totalIterations {@code T}, the number of iterations (minibatches) of the whole run; {@code >= 1}
     * @throws IllegalArgumentException naming the offending argument and its value
     */
    @JsonCreator
    public CosineSchedule(@JsonProperty("initialValue") double initialValue,
                          @JsonProperty("totalIterations") int totalIterations) {
        this.initialValue = ScheduleChecks.positiveFinite("initialValue", initialValue);
        this.totalIterations = ScheduleChecks.atLeast("totalIterations", totalIterations, 1);
    }

    /**
     * @param iteration DL4J's 0-based iteration counter; must be {@code >= 0}
     * @param epoch     ignored: the schedule is defined per iteration so the rate decays smoothly within
     *                  an epoch, not in steps at epoch boundaries
     */
    @Override
    public double valueAt(int iteration, int epoch) {
        ScheduleChecks.atLeast("iteration", iteration, 0);
        int clamped = Math.min(iteration, totalIterations);
        return initialValue / 2.0 * (Math.cos(Math.PI * clamped / totalIterations) + 1.0);
    }

    @Override
    public ISchedule clone() {
        // Immutable, but DL4J clones schedules together with updaters; a fresh instance keeps identity
        // semantics of clone() for callers that rely on it.
        return new CosineSchedule(initialValue, totalIterations);
    }

    public double getInitialValue() {
        return initialValue;
    }

    public int getTotalIterations() {
        return totalIterations;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof CosineSchedule other)) {
            return false;
        }
        return Double.compare(initialValue, other.initialValue) == 0 && totalIterations == other.totalIterations;
    }

    @Override
    public int hashCode() {
        return Objects.hash(initialValue, totalIterations);
    }

    @Override
    public String toString() {
        return "CosineSchedule(initialValue=" + initialValue + ", totalIterations=" + totalIterations + ")";
    }
}
