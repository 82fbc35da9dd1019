package io.chorus.driver.run;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

class FaultsTest {
    @Test
    void parsesKindsMembersIterationsAndAttempts() {
        Faults f = Faults.parse("crash:member=1,iteration=45;nan:member=0,iteration=3,attempt=0");
        assertEquals(List.of(new Faults.Fault("crash", 1, 45, null), new Faults.Fault("nan", 0, 3, 0)), f.faults());
        assertEquals(Faults.NONE, Faults.parse(""));
        assertEquals(Faults.NONE, Faults.parse(null));
    }

    @Test
    void crashFiresOnlyForItsMemberIterationAndAttempt() {
        Faults f = Faults.parse("crash:member=1,iteration=5,attempt=0");
        assertDoesNotThrow(() -> f.hook(0, 0).beforeUpdate(null, 5));
        assertDoesNotThrow(() -> f.hook(1, 0).beforeUpdate(null, 4));
        assertDoesNotThrow(() -> f.hook(1, 1).beforeUpdate(null, 5), "a retry recovers");
        Faults.InjectedFault e = assertThrows(Faults.InjectedFault.class, () -> f.hook(1, 0).beforeUpdate(null, 5));
        assertTrue(e.getMessage().contains("member 1"), e.getMessage());
    }

    @Test
    void malformedSpecsNameTheSetting() {
        for (String bad : new String[] {"explode:member=1,iteration=2", "crash:member=1", "crash:member=1,iteration=2,when=now", "crash"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Faults.parse(bad), bad);
            assertTrue(e.getMessage().startsWith(Faults.KEY), e.getMessage());
        }
    }
}
