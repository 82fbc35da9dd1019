package io.chorus.worker.train.schedule;

import java.util.Objects;

import org.nd4j.linalg.schedule.FixedSchedule;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.linalg.schedule.ScheduleType;
import org.nd4j.linalg.schedule.StepSchedule;

/** Builds the DL4J {@link ISchedule} for a member's learning rate from configuration values. */
public final class LearningRateSchedules {

    private LearningRateSchedules() {
    }

    /**
     * Creates the schedule for {@code kind}. DL4J calls {@link ISchedule#valueAt(int, int)} with 0-based
     * iteration and epoch counters.
     * <ul>
     *   <li>{@link ScheduleKind#CONSTANT}: {@code lr} throughout (DL4J's {@link FixedSchedule}).</li>
     *   <li>{@link ScheduleKind#STEP}: DL4J's {@link StepSchedule} on epochs,
     *       {@code lr * stepGamma^floor(epoch / stepEpochs)}: the first decay happens when epoch
     *       {@code stepEpochs} (0-based) starts, i.e. after {@code stepEpochs} full epochs.</li>
     *   <li>{@link ScheduleKind#COSINE}: {@link CosineSchedule} with {@code T = iterationsPerEpoch * epochs}.</li>
     *   <li>{@link ScheduleKind#CYCLIC}: {@link CyclicCosineSchedule} with {@code T} as above and
     *       {@code cycles} cycles.</li>
     *   <li>{@link ScheduleKind#SWA}: {@link CosineHoldSchedule} with {@code T} as above, held from the first
     *       iteration of epoch {@code ceil(swaStart * epochs)} (0-based), the epoch whose end is the first SWA
     *       point: every point SWA collects is taken on the constant tail.</li>
     * </ul>
     * {@code lr}, {@code iterationsPerEpoch} and {@code epochs} are always validated. {@code cycles},
     * {@code stepEpochs} and {@code stepGamma} are validated only for the kind that uses them, so a
     * configuration that selects, say, {@code cosine} is not rejected because of an unused step setting.
     *
     * @param kind               which schedule
     * @param lr                 initial learning rate; finite and {@code > 0}
     * @param iterationsPerEpoch minibatches per epoch; {@code >= 1}
     * @param epochs             epochs of the run; {@code >= 1}
     * @param cycles             CYCLIC only: number of cycles, in {@code [1, iterationsPerEpoch * epochs]}
     * @param stepEpochs         STEP only: epochs between decays; {@code >= 1}
     * @param stepGamma          STEP only: decay factor, in {@code (0, 1]}
     * @throws IllegalArgumentException naming the offending argument and its value
     */
    public static ISchedule create(ScheduleKind kind, double lr, int iterationsPerEpoch, int epochs,
                                   int cycles, int stepEpochs, double stepGamma) {
        return create(kind, lr, iterationsPerEpoch, epochs, cycles, stepEpochs, stepGamma, 1.0);
    }

    /** The schedule a member trained on {@code t} runs, at {@code iterationsPerEpoch} minibatches per epoch. */
    public static ISchedule create(io.chorus.worker.train.TrainSpec t, int iterationsPerEpoch) {
        return create(t.schedule(), t.lr(), iterationsPerEpoch, t.epochs(), t.cycles(), t.stepEpochs(), t.stepGamma(),
                t.swaStart());
    }

    /**
     * As above, with {@code swaStart}, the fraction of the run after which SWA collects (SWA only: in
     * {@code (0, 1)}).
     */
    public static ISchedule create(ScheduleKind kind, double lr, int iterationsPerEpoch, int epochs,
                                   int cycles, int stepEpochs, double stepGamma, double swaStart) {
        Objects.requireNonNull(kind, "kind");
        ScheduleChecks.positiveFinite("lr", lr);
        ScheduleChecks.atLeast("iterationsPerEpoch", iterationsPerEpoch, 1);
        ScheduleChecks.atLeast("epochs", epochs, 1);
        switch (kind) {
            case CONSTANT:
                return new FixedSchedule(lr);
            case STEP:
                ScheduleChecks.atLeast("stepEpochs", stepEpochs, 1);
                if (!(stepGamma > 0.0 && stepGamma <= 1.0)) {
                    throw new IllegalArgumentException("stepGamma must be in (0, 1], got " + stepGamma);
                }
                return new StepSchedule(ScheduleType.EPOCH, lr, stepGamma, stepEpochs);
            case COSINE:
                return new CosineSchedule(lr, totalIterations(iterationsPerEpoch, epochs));
            case CYCLIC: {
                int total = totalIterations(iterationsPerEpoch, epochs);
                ScheduleChecks.inRange("cycles", cycles, 1, total);
                return new CyclicCosineSchedule(lr, total, cycles);
            }
            case SWA: {
                if (!(swaStart > 0.0 && swaStart < 1.0)) {
                    throw new IllegalArgumentException("swaStart must be in (0, 1), got " + swaStart);
                }
                int total = totalIterations(iterationsPerEpoch, epochs);
                int firstPoint = Math.max(1, (int) Math.ceil(swaStart * epochs));
                int hold = Math.min(total, Math.max(1, (firstPoint - 1) * iterationsPerEpoch));
                return new CosineHoldSchedule(lr, total, hold);
            }
            default:
                throw new IllegalArgumentException("unsupported schedule kind " + kind);
        }
    }

    /** {@code T = iterationsPerEpoch * epochs}; DL4J's iteration counter is an int, so T must fit one. */
    private static int totalIterations(int iterationsPerEpoch, int epochs) {
        long total = (long) iterationsPerEpoch * epochs;
        if (total > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("iterationsPerEpoch * epochs must fit in an int (DL4J's iteration "
                    + "counter), got iterationsPerEpoch=" + iterationsPerEpoch + ", epochs=" + epochs);
        }
        return (int) total;
    }
}
