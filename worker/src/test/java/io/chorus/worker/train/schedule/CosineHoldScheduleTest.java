package io.chorus.worker.train.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.schedule.ISchedule;

class CosineHoldScheduleTest {

    @Test
    void followsTheCosineUntilTheHoldThenKeepsItsRate() {
        CosineHoldSchedule s = new CosineHoldSchedule(0.1, 100, 60);
        CosineSchedule c = new CosineSchedule(0.1, 100);
        for (int i = 0; i <= 60; i++) {
            assertEquals(c.valueAt(i, 0), s.valueAt(i, 0), 0.0, "iteration " + i);
        }
        double held = c.valueAt(60, 0);
        assertEquals(0.05 * (Math.cos(Math.PI * 0.6) + 1), s.heldValue(), 1e-15);
        for (int i = 61; i < 130; i++) {
            assertEquals(held, s.valueAt(i, 0), 0.0, "iteration " + i);
        }
        assertEquals(c.valueAt(100, 0), new CosineHoldSchedule(0.1, 100, 100).valueAt(150, 0), 0.0,
                "held from T it is the plain cosine");
        assertThrows(IllegalArgumentException.class, () -> new CosineHoldSchedule(0.1, 100, 0));
        assertThrows(IllegalArgumentException.class, () -> new CosineHoldSchedule(0.1, 100, 101));
    }

    @Test
    void theSwaScheduleHoldsFromTheEpochWhoseEndIsTheFirstSwaPoint() {
        // 10 epochs of 20 iterations, swa.start 0.75: the first SWA point is the end of epoch 8 (1-based),
        // so the rate is constant through epochs 8, 9 and 10: from iteration 7 * 20 = 140.
        ISchedule s = LearningRateSchedules.create(ScheduleKind.SWA, 0.1, 20, 10, 1, 1, 0.1, 0.75);
        assertEquals(new CosineHoldSchedule(0.1, 200, 140), s);
        double held = s.valueAt(140, 7);
        assertTrue(s.valueAt(139, 6) > held);
        assertEquals(held, s.valueAt(199, 9), 0.0);
        assertThrows(IllegalArgumentException.class,
                () -> LearningRateSchedules.create(ScheduleKind.SWA, 0.1, 20, 10, 1, 1, 0.1, 1.0));
    }
}
