package io.chorus.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

class SeedsTest {
    @Test
    void memberSeedsAreTheJobSeedsStreamAndIndependentOfEnsembleSize() {
        SplittableRandom r = new SplittableRandom(123);
        long[] five = Seeds.memberSeeds(123, 5);
        for (long s : five) {
            assertEquals(r.nextLong(), s);
        }
        assertEquals(Arrays.toString(Arrays.copyOf(five, 3)), Arrays.toString(Seeds.memberSeeds(123, 3)));
        assertEquals(5, Arrays.stream(five).distinct().count());
        assertThrows(IllegalArgumentException.class, () -> Seeds.memberSeeds(1, 0));
    }

    @Test
    void mixSeparatesPurposesAndNeighbouringCoordinates() {
        assertEquals(Seeds.mix(1, 2, 3), Seeds.mix(1, 2, 3));
        assertNotEquals(Seeds.mix(1, 2, 3), Seeds.mix(2, 2, 3));
        assertNotEquals(Seeds.mix(1, 2, 3), Seeds.mix(1, 3, 2));
        assertNotEquals(Seeds.mix(1, 2, 3), Seeds.mix(1, 2, 4));
        // Full avalanche: neighbouring iterations differ in about half of the 64 bits.
        int bits = 0;
        for (long i = 0; i < 1000; i++) {
            bits += Long.bitCount(Seeds.mix(7, 99, i) ^ Seeds.mix(7, 99, i + 1));
        }
        assertEquals(32.0, bits / 1000.0, 1.0);
    }
}
