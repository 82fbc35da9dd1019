package io.chorus.worker.train.schedule;

import static io.chorus.worker.train.schedule.CyclicCosineScheduleTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** {@link CosineSchedule} against hand-evaluated {@code alpha0/2 * (cos(pi * min(i,T)/T) + 1)}. */
class CosineScheduleTest {

    private static final double TOL = 1e-12;

    @Test
    void annealsFromInitialValueToZero() {
        CosineSchedule s = new CosineSchedule(0.2, 8);
        assertEquals(0.2, s.valueAt(0, 0), TOL);
        // i = 2: cos(pi/4) = sqrt(2)/2 -> 0.1 * 1.70710678118654752
        assertEquals(0.170710678118654752, s.valueAt(2, 0), TOL);
        assertEquals(0.1, s.valueAt(4, 0), TOL);
        // i = 6: cos(3pi/4) = -sqrt(2)/2 -> 0.1 * 0.29289321881345248
        assertEquals(0.029289321881345248, s.valueAt(6, 0), TOL);
        assertEquals(0.0, s.valueAt(8, 0), TOL);
        // Clamped past the end of the run instead of rising again.
        assertEquals(0.0, s.valueAt(9, 0), TOL);
        assertEquals(0.0, s.valueAt(1_000, 3), TOL);
        // Per iteration: the epoch argument is irrelevant.
        assertEquals(0.1, s.valueAt(4, 99), TOL);
    }

    @Test
    void decreasesMonotonicallyWithinTheRun() {
        CosineSchedule s = new CosineSchedule(1.0, 50);
        for (int i = 1; i <= 50; i++) {
            double previous = s.valueAt(i - 1, 0);
            double current = s.valueAt(i, 0);
            assertEquals(true, current < previous, "value at " + i + " should be below value at " + (i - 1));
        }
    }

    @Test
    void validatesArguments() {
        assertMessage(() -> new CosineSchedule(-0.1, 10), "initialValue", "-0.1");
        assertMessage(() -> new CosineSchedule(Double.POSITIVE_INFINITY, 10), "initialValue", "Infinity");
        assertMessage(() -> new CosineSchedule(0.1, 0), "totalIterations", "0");
        assertThrows(IllegalArgumentException.class, () -> new CosineSchedule(0.1, 10).valueAt(-1, 0));
    }

    @Test
    void equalsHashCodeAndClone() {
        CosineSchedule a = new CosineSchedule(0.1, 10);
        assertEquals(a, new CosineSchedule(0.1, 10));
        assertEquals(a.hashCode(), new CosineSchedule(0.1, 10).hashCode());
        assertNotEquals(a, new CosineSchedule(0.1, 11));
        assertNotEquals(a, new CosineSchedule(0.11, 10));
        Object copy = a.clone();
        assertNotSame(a, copy);
        assertEquals(a, copy);
    }
}
