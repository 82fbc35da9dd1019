package io.chorus.worker.train.schedule;

import static io.chorus.worker.train.schedule.CyclicCosineScheduleTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.schedule.ISchedule;

class LearningRateSchedulesTest {

    private static final double TOL = 1e-12;

    @Test
    void configNamesAreLowerCaseAndParseBack() {
        assertEquals("constant", ScheduleKind.CONSTANT.configName());
        assertEquals("step", ScheduleKind.STEP.configName());
        assertEquals("cosine", ScheduleKind.COSINE.configName());
        assertEquals("cyclic", ScheduleKind.CYCLIC.configName());
        for (ScheduleKind kind : ScheduleKind.values()) {
            assertSame(kind, ScheduleKind.fromConfigName(kind.configName()));
        }
        assertSame(ScheduleKind.CYCLIC, ScheduleKind.fromConfigName(" Cyclic "));
        assertMessage(() -> ScheduleKind.fromConfigName("linear"), "schedule", "'linear'");
    }

    @Test
    void constantIgnoresIterationAndEpoch() {
        ISchedule s = LearningRateSchedules.create(ScheduleKind.CONSTANT, 0.05, 10, 3, 0, 0, 0.0);
        assertEquals(0.05, s.valueAt(0, 0), 0.0);
        assertEquals(0.05, s.valueAt(29, 2), 0.0);
        assertEquals(0.05, s.valueAt(1_000_000, 500), 0.0);
    }

    @Test
    void stepDecaysOnZeroBasedEpochs() {
        // lr * gamma^floor(epoch / stepEpochs): epochs 0-2 -> 0.1, 3-5 -> 0.05, 6 -> 0.025.
        ISchedule s = LearningRateSchedules.create(ScheduleKind.STEP, 0.1, 10, 9, 0, 3, 0.5);
        assertEquals(0.1, s.valueAt(0, 0), TOL);
        assertEquals(0.1, s.valueAt(29, 2), TOL);
        assertEquals(0.05, s.valueAt(30, 3), TOL);
        assertEquals(0.05, s.valueAt(59, 5), TOL);
        assertEquals(0.025, s.valueAt(60, 6), TOL);
        // Driven by the epoch, not the iteration counter.
        assertEquals(0.1, s.valueAt(5_000, 0), TOL);
    }

    @Test
    void cosineAndCyclicSpanAllIterationsOfTheRun() {
        ISchedule cosine = LearningRateSchedules.create(ScheduleKind.COSINE, 0.1, 25, 4, 0, 0, 0.0);
        assertEquals(new CosineSchedule(0.1, 100), cosine);
        assertEquals(0.05, cosine.valueAt(50, 2), TOL);

        ISchedule cyclic = LearningRateSchedules.create(ScheduleKind.CYCLIC, 0.1, 25, 4, 5, 0, 0.0);
        CyclicCosineSchedule c = assertInstanceOf(CyclicCosineSchedule.class, cyclic);
        assertEquals(new CyclicCosineSchedule(0.1, 100, 5), c);
        assertEquals(20, c.cycleLength());
        assertEquals(0.05, cyclic.valueAt(30, 1), TOL);
    }

    @Test
    void validatesWithMessagesNamingTheArgument() {
        assertMessage(() -> LearningRateSchedules.create(ScheduleKind.CONSTANT, 0.0, 10, 1, 1, 1, 0.5), "lr", "0.0");
        assertMessage(() -> LearningRateSchedules.create(ScheduleKind.CONSTANT, 0.1, 0, 1, 1, 1, 0.5),
                "iterationsPerEpoch", "0");
        assertMessage(() -> LearningRateSchedules.create(ScheduleKind.COSINE, 0.1, 10, 0, 1, 1, 0.5), "epochs", "0");
        assertMessage(() -> LearningRateSchedules.create(ScheduleKind.CYCLIC, 0.1, 10, 2, 0, 1, 0.5), "cycles", "0");
        assertMessage(() -> LearningRateSchedules.create(ScheduleKind.CYCLIC, 0.1, 10, 2, 21, 1, 0.5),
                "cycles", "21");
        assertMessage(() -> LearningRateSchedules.create(ScheduleKind.STEP, 0.1, 10, 2, 1, 0, 0.5),
                "stepEpochs", "0");
        assertMessage(() -> LearningRateSchedules.create(ScheduleKind.STEP, 0.1, 10, 2, 1, 1, 0.0), "stepGamma", "0.0");
        assertMessage(() -> LearningRateSchedules.create(ScheduleKind.STEP, 0.1, 10, 2, 1, 1, 1.5), "stepGamma", "1.5");
        assertMessage(() -> LearningRateSchedules.create(ScheduleKind.COSINE, 0.1, 100_000, 100_000, 1, 1, 0.5),
                "iterationsPerEpoch * epochs", "100000");
    }

    @Test
    void settingsOfOtherKindsAreNotValidated() {
        // A cosine run must not fail because the (unused) step settings are zero.
        ISchedule s = LearningRateSchedules.create(ScheduleKind.COSINE, 0.1, 10, 1, 0, 0, 0.0);
        assertEquals(new CosineSchedule(0.1, 10), s);
        // gamma = 1 is the boundary of (0, 1] and means no decay.
        ISchedule flat = LearningRateSchedules.create(ScheduleKind.STEP, 0.1, 10, 1, 0, 1, 1.0);
        assertEquals(0.1, flat.valueAt(0, 40), TOL);
    }
}
