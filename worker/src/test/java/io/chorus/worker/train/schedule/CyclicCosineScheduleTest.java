package io.chorus.worker.train.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * Values of {@link CyclicCosineSchedule} against hand-evaluated points of
 * {@code alpha(t) = alpha0/2 * (cos(pi * mod(t-1, L) / L) + 1)}, {@code L = ceil(T/M)}, {@code t = i + 1}.
 * The constants are worked out on paper: cos(pi/4) = sqrt(2)/2, cos(pi/3) = 1/2, cos(pi/2) = 0.
 */
class CyclicCosineScheduleTest {

    private static final double TOL = 1e-12;
    /** 0.1 * (1 + sqrt(2)/2) / 2 = 0.1 * (2 + 1.41421356237309505) / 4. */
    private static final double A0_QUARTER = 0.0853553390593273762;
    /** 0.1 * (1 - sqrt(2)/2) / 2 = 0.1 * (2 - 1.41421356237309505) / 4. */
    private static final double A0_THREE_QUARTERS = 0.0146446609406726238;

    @Test
    void divisibleRunRestartsEveryCycleAndHalvesAtTheMiddle() {
        // T = 12, M = 3 -> L = 4: cycles are iterations 0-3, 4-7, 8-11.
        CyclicCosineSchedule s = new CyclicCosineSchedule(0.1, 12, 3);
        assertEquals(4, s.cycleLength());
        assertEquals(3, s.effectiveCycles());
        for (int start : new int[] {0, 4, 8}) {
            assertEquals(0.1, s.valueAt(start, 0), TOL, "cycle start " + start);
            assertEquals(A0_QUARTER, s.valueAt(start + 1, 0), TOL, "quarter " + (start + 1));
            // Exact half of an even cycle: cos(pi/2) = 0 -> alpha0 / 2.
            assertEquals(0.05, s.valueAt(start + 2, 0), TOL, "middle " + (start + 2));
            assertEquals(A0_THREE_QUARTERS, s.valueAt(start + 3, 0), TOL, "cycle end " + (start + 3));
        }
        // Across the boundary the rate jumps from its minimum back to alpha0.
        assertTrue(s.valueAt(3, 0) < s.valueAt(4, 0));
        // Epoch does not matter: the schedule is per iteration.
        assertEquals(s.valueAt(5, 0), s.valueAt(5, 7));
    }

    @Test
    void nonDivisibleRunHasAShortLastCycle() {
        // T = 10, M = 4 -> L = ceil(2.5) = 3: cycles 0-2, 3-5, 6-8 and a cut-off cycle {9}.
        CyclicCosineSchedule s = new CyclicCosineSchedule(0.4, 10, 4);
        assertEquals(3, s.cycleLength());
        assertEquals(4, s.effectiveCycles());
        double[] expected = {
            0.4, 0.3, 0.1,   // alpha0, alpha0*(1+1/2)/2, alpha0*(1-1/2)/2
            0.4, 0.3, 0.1,
            0.4, 0.3, 0.1,
            0.4              // the last cycle starts and the run ends
        };
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], s.valueAt(i, 0), TOL, "iteration " + i);
        }
        assertEquals(List.of(2, 5, 8), cycleEnds(s), "the cut-short last cycle ends at alpha0: no snapshot there");
        int[] cycleOf = {0, 0, 0, 1, 1, 1, 2, 2, 2, 3};
        for (int i = 0; i < cycleOf.length; i++) {
            assertEquals(cycleOf[i], s.cycleOf(i), "cycleOf(" + i + ")");
        }
    }

    @Test
    void oddTotalWithEvenCycleLength() {
        // T = 7, M = 2 -> L = 4: cycles 0-3 and 4-6 (the second one cut before its last iteration).
        CyclicCosineSchedule s = new CyclicCosineSchedule(0.1, 7, 2);
        assertEquals(4, s.cycleLength());
        assertEquals(A0_THREE_QUARTERS, s.valueAt(3, 0), TOL);
        assertEquals(0.1, s.valueAt(4, 0), TOL);
        assertEquals(A0_QUARTER, s.valueAt(5, 0), TOL);
        assertEquals(0.05, s.valueAt(6, 0), TOL);
        assertEquals(List.of(3), cycleEnds(s), "the cut-short last cycle does not count");
        assertEquals(1, s.cycleOf(6));
    }

    @Test
    void ceilingCanYieldFewerCyclesThanRequested() {
        // T = 10, M = 6 -> L = 2: only five cycles start; the paper's formula, kept as is.
        CyclicCosineSchedule s = new CyclicCosineSchedule(1.0, 10, 6);
        assertEquals(2, s.cycleLength());
        assertEquals(5, s.effectiveCycles());
        assertEquals(List.of(1, 3, 5, 7, 9), cycleEnds(s));
        assertEquals(4, s.cycleOf(9));
        assertEquals(0.5, s.valueAt(9, 0), TOL);
    }

    @Test
    void singleCycleIsPlainCosineAnnealing() {
        CyclicCosineSchedule s = new CyclicCosineSchedule(0.1, 4, 1);
        assertEquals(List.of(3), cycleEnds(s));
        assertEquals(0.05, s.valueAt(2, 0), TOL);
        assertEquals(new CosineSchedule(0.1, 4).valueAt(3, 0), s.valueAt(3, 0), TOL);
    }

    @Test
    void oneIterationPerCycleKeepsTheInitialRate() {
        CyclicCosineSchedule s = new CyclicCosineSchedule(0.3, 5, 5);
        for (int i = 0; i < 5; i++) {
            assertEquals(0.3, s.valueAt(i, 0), TOL);
            assertTrue(s.isCycleEnd(i));
            assertEquals(i, s.cycleOf(i));
        }
    }

    @Test
    void helpersRejectIterationsOutsideTheRun() {
        CyclicCosineSchedule s = new CyclicCosineSchedule(0.1, 12, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.isCycleEnd(12));
        assertTrue(e.getMessage().contains("iteration") && e.getMessage().contains("12"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> s.cycleOf(-1));
        assertThrows(IllegalArgumentException.class, () -> s.valueAt(-1, 0));
    }

    @Test
    void constructorNamesTheBadArgument() {
        assertMessage(() -> new CyclicCosineSchedule(0.0, 10, 2), "initialValue", "0.0");
        assertMessage(() -> new CyclicCosineSchedule(Double.NaN, 10, 2), "initialValue", "NaN");
        assertMessage(() -> new CyclicCosineSchedule(0.1, 0, 1), "totalIterations", "0");
        assertMessage(() -> new CyclicCosineSchedule(0.1, 10, 0), "cycles", "0");
        assertMessage(() -> new CyclicCosineSchedule(0.1, 10, 11), "cycles", "11");
    }

    @Test
    void equalsHashCodeAndClone() {
        CyclicCosineSchedule a = new CyclicCosineSchedule(0.1, 12, 3);
        CyclicCosineSchedule b = new CyclicCosineSchedule(0.1, 12, 3);
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertNotEquals(a, new CyclicCosineSchedule(0.2, 12, 3));
        assertNotEquals(a, new CyclicCosineSchedule(0.1, 13, 3));
        assertNotEquals(a, new CyclicCosineSchedule(0.1, 12, 4));
        assertNotEquals(a, new CosineSchedule(0.1, 12));
        assertFalse(a.equals(null));
        Object copy = a.clone();
        assertNotSame(a, copy);
        assertEquals(a, copy);
    }

    private static List<Integer> cycleEnds(CyclicCosineSchedule s) {
        List<Integer> ends = new ArrayList<>();
        for (int i = 0; i < s.getTotalIterations(); i++) {
            if (s.isCycleEnd(i)) {
                ends.add(i);
            }
        }
        assertEquals(s.completedCycles(), ends.size(), "one cycle end per completed cycle");
        return ends;
    }

    static void assertMessage(org.junit.jupiter.api.function.Executable call, String name, String value) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(name), "message should name " + name + ": " + e.getMessage());
        assertTrue(e.getMessage().contains(value), "message should show " + value + ": " + e.getMessage());
    }
}
