package io.chorus.worker.train.schedule;

import java.util.Objects;

import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * Cyclic cosine annealing of snapshot ensembles (Huang et al. 2017, "Snapshot Ensembles: Train 1, get M
 * for free", eq. 2):
 * <pre>
 *   alpha(t) = alpha0 / 2 * (cos(pi * mod(t - 1, ceil(T / M)) / ceil(T / M)) + 1)
 * </pre>
 * with {@code t = i + 1} the 1-based iteration ({@code i} is DL4J's 0-based counter of minibatches done),
 * {@code T} the total number of iterations and {@code M} the number of cycles. The rate restarts at
 * {@code alpha0} at the first iteration of each cycle and anneals towards 0 within it; it is updated every
 * iteration, not every epoch, as in the paper. At the end of each cycle the model sits in a (local) minimum,
 * which is where the trainer takes a snapshot; {@link #isCycleEnd(int)} tells it where that is.
 *
 * <p><b>When {@code M} does not divide {@code T}.</b> The paper's {@code ceil} makes every cycle
 * {@link #cycleLength()} {@code = ceil(T/M)} iterations long except the last one, which is shorter and is
 * cut off by the end of training. With strongly non-divisible pairs the number of cycles that actually
 * start, {@link #effectiveCycles()} {@code = ceil(T / ceil(T/M))}, can be smaller than {@code M} (e.g.
 * {@code T = 10, M = 6}: cycle length 2, five cycles). Chorus keeps the paper's formula rather than
 * silently redefining it; a snapshot ensemble has {@link #completedCycles()} members.
 *
 * <p>Instances are immutable and are serialized inside DL4J updater configurations; see
 * {@link CosineSchedule} for why the shaded Jackson annotations are used.
 */
public final class CyclicCosineSchedule implements ISchedule {

    private static final long serialVersionUID = 1L;

    @JsonProperty("initialValue")
    private final double initialValue;
    @JsonProperty("totalIterations")
    private final int totalIterations;
    @JsonProperty("cycles")
    private final int cycles;

    /**
     * @param initialValue    {@code alpha0}, the rate at the start of every cycle; finite and {@code > 0}
     * @param totalIterations {@code T}, iterations (minibatches) of the whole run; {@code >= 1}
     * @param cycles          {@code M}, the number of cycles (snapshots); in {@code [1, T]}, since a cycle
     *                        needs at least one iteration
     * @throws IllegalArgumentException naming the offending argument and its value
     */
    @JsonCreator
    public CyclicCosineSchedule(@JsonProperty("initialValue") double initialValue,
                                @JsonProperty("totalIterations") int totalIterations,
                                @JsonProperty("cycles") int cycles) {
        this.initialValue = ScheduleChecks.positiveFinite("initialValue", initialValue);
        this.totalIterations = ScheduleChecks.atLeast("totalIterations", totalIterations, 1);
        this.cycles = ScheduleChecks.inRange("cycles", cycles, 1, totalIterations);
    }

    /**
     * @param iteration DL4J's 0-based iteration counter; must be {@code >= 0}. Past {@code T} the formula
     *                  simply keeps cycling, which is what the paper's definition gives.
     * @param epoch     ignored: the paper anneals per iteration
     */
    @Override
    public double valueAt(int iteration, int epoch) {
        ScheduleChecks.atLeast("iteration", iteration, 0);
        int length = cycleLength();
        // t - 1 = iteration, so mod(t - 1, L) is the position inside the current cycle.
        int position = iteration % length;
        return initialValue / 2.0 * (Math.cos(Math.PI * position / length) + 1.0);
    }

    /** {@code ceil(T / M)}: the number of iterations of every cycle except possibly the last. */
    public int cycleLength() {
        return (totalIterations + cycles - 1) / cycles;
    }

    /**
     * Cycles that run to their end within the run, {@code floor(T / cycleLength())}: the number of
     * iterations for which {@link #isCycleEnd(int)} is true, and so of cycle snapshots.
     */
    public int completedCycles() {
        return totalIterations / cycleLength();
    }

    /**
     * The number of cycles that start within the run, {@code ceil(T / cycleLength())}; equals
     * {@code cycles} when {@code M} divides {@code T}, can be smaller otherwise (see the class comment).
     */
    public int effectiveCycles() {
        int length = cycleLength();
        return (totalIterations + length - 1) / length;
    }

    /**
     * Whether the 0-based {@code iteration} completes a cycle, i.e. the point after whose parameter update
     * the learning rate has annealed to its minimum and the trainer takes a snapshot-ensemble member: every
     * {@code i} with {@code (i + 1) % cycleLength() == 0}. A last cycle cut short by the end of training
     * (when {@code cycleLength()} does not divide {@code T}) does not count: its end lies at a high learning
     * rate, the opposite of what a snapshot ensemble wants. The trainer snapshots the end of training anyway,
     * as {@code final}.
     *
     * @param iteration 0-based iteration in {@code [0, T)}
     * @throws IllegalArgumentException if {@code iteration} lies outside the run
     */
    public boolean isCycleEnd(int iteration) {
        checkWithinRun(iteration);
        return (iteration + 1) % cycleLength() == 0;
    }

    /**
     * The 0-based index of the cycle that the 0-based {@code iteration} belongs to,
     * in {@code [0, effectiveCycles())}.
     *
     * @param iteration 0-based iteration in {@code [0, T)}
     * @throws IllegalArgumentException if {@code iteration} lies outside the run
     */
    public int cycleOf(int iteration) {
        checkWithinRun(iteration);
        return iteration / cycleLength();
    }

    private void checkWithinRun(int iteration) {
        ScheduleChecks.inRange("iteration", iteration, 0, totalIterations - 1);
    }

    @Override
    public ISchedule clone() {
        return new CyclicCosineSchedule(initialValue, totalIterations, cycles);
    }

    public double getInitialValue() {
        return initialValue;
    }

    public int getTotalIterations() {
        return totalIterations;
    }

    public int getCycles() {
        return cycles;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof CyclicCosineSchedule other)) {
            return false;
        }
        return Double.compare(initialValue, other.initialValue) == 0
                && totalIterations == other.totalIterations
                && cycles == other.cycles;
    }

    @Override
    public int hashCode() {
        return Objects.hash(initialValue, totalIterations, cycles);
    }

    @Override
    public String toString() {
        return "CyclicCosineSchedule(initialValue=" + initialValue + ", totalIterations=" + totalIterations
                + ", cycles=" + cycles + ")";
    }
}
