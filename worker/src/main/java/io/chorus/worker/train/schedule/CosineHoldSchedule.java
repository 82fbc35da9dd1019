package io.chorus.worker.train.schedule;

import java.util.Objects;

import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * The schedule SWA is meant to average over (Izmailov et al. 2018): the cosine annealing of {@link CosineSchedule}
 * over {@code T} iterations until iteration {@code H}, then the rate it reached there, held constant to the end:
 * <pre>
 *   alpha(i) = alpha0 / 2 * (cos(pi * min(i, H) / T) + 1)
 * </pre>
 * With {@code H} at swa.start, the points SWA collects all lie on the constant tail, where the iterates wander
 * around one wide minimum instead of settling into a narrow one as a schedule annealed to 0 does; their mean is
 * the better network. {@code H = T} is the plain cosine schedule.
 *
 * <p>Serialized inside DL4J updater configurations like {@link CosineSchedule}, with the shaded annotations.
 */
public final class CosineHoldSchedule implements ISchedule {

    private static final long serialVersionUID = 1L;

    @JsonProperty("initialValue")
    private final double initialValue;
    @JsonProperty("totalIterations")
    private final int totalIterations;
    @JsonProperty("holdFrom")
    private final int holdFrom;

    /**
     * @param initialValue    the rate at iteration 0; finite and {@code > 0}
     * @param totalIterations {@code T}; {@code >= 1}
     * @param holdFrom        {@code H}, the iteration from which the rate stays constant; in {@code [1, T]}
     * @throws IllegalArgumentException naming the offending argument and its value
     */
    @JsonCreator
    public CosineHoldSchedule(@JsonProperty("initialValue") double initialValue,
                              @JsonProperty("totalIterations") int totalIterations,
                              @JsonProperty("holdFrom") int holdFrom) {
        this.initialValue = ScheduleChecks.positiveFinite("initialValue", initialValue);
        this.totalIterations = ScheduleChecks.atLeast("totalIterations", totalIterations, 1);
        this.holdFrom = ScheduleChecks.inRange("holdFrom", holdFrom, 1, totalIterations);
    }

    @Override
    public double valueAt(int iteration, int epoch) {
        ScheduleChecks.atLeast("iteration", iteration, 0);
        int clamped = Math.min(iteration, holdFrom);
        return initialValue / 2.0 * (Math.cos(Math.PI * clamped / totalIterations) + 1.0);
    }

    /** The constant rate of the tail. */
    public double heldValue() {
        return valueAt(holdFrom, 0);
    }

    @Override
    public ISchedule clone() {
        return new CosineHoldSchedule(initialValue, totalIterations, holdFrom);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CosineHoldSchedule other && Double.compare(initialValue, other.initialValue) == 0
                && totalIterations == other.totalIterations && holdFrom == other.holdFrom;
    }

    @Override
    public int hashCode() {
        return Objects.hash(initialValue, totalIterations, holdFrom);
    }

    @Override
    public String toString() {
        return "CosineHoldSchedule(initialValue=" + initialValue + ", totalIterations=" + totalIterations
                + ", holdFrom=" + holdFrom + ")";
    }
}
