package io.chorus.worker.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.BitSet;

import org.junit.jupiter.api.Test;

class SplitTest {

    private static final ImageData ALL = Indexed.data(1000, 10);

    @Test
    void sameSeedSameSplit() {
        assertEquals(Split.carve(ALL, 100, 42), Split.carve(ALL, 100, 42));
    }

    @Test
    void differentSeedsDifferentValidation() {
        assertNotEquals(Split.carve(ALL, 100, 42).validation(), Split.carve(ALL, 100, 43).validation());
    }

    @Test
    void partsAreDisjointAndCoverEverything() {
        Split s = Split.carve(ALL, 100, 7);
        assertEquals(900, s.train().size());
        assertEquals(100, s.validation().size());
        BitSet seen = new BitSet();
        for (ImageData part : new ImageData[] {s.train(), s.validation()}) {
            for (int k = 0; k < part.size(); k++) {
                int i = Indexed.index(part, k);
                assertTrue(!seen.get(i), "example " + i + " appears twice");
                seen.set(i);
                assertEquals(i % 10, part.labels()[k], "label travels with its image");
            }
        }
        assertEquals(1000, seen.cardinality());
    }

    @Test
    void trainKeepsOriginalOrder() {
        Split s = Split.carve(ALL, 300, 3);
        for (int k = 1; k < s.train().size(); k++) {
            assertTrue(Indexed.index(s.train(), k - 1) < Indexed.index(s.train(), k));
        }
    }

    @Test
    void validationIsNotJustAPrefixOrSuffix() {
        Split s = Split.carve(ALL, 100, 11);
        int low = 0;
        for (int k = 0; k < 100; k++) {
            if (Indexed.index(s.validation(), k) < 500) {
                low++;
            }
        }
        // A uniform subset puts about half below 500; 20..80 holds with overwhelming probability.
        assertTrue(low > 20 && low < 80, "validation examples below 500: " + low);
    }

    @Test
    void zeroValidationKeepsEverythingForTraining() {
        Split s = Split.carve(ALL, 0, 5);
        assertSame(ALL, s.train());
        assertEquals(0, s.validation().size());
        assertEquals(ALL.shape(), s.validation().shape());
        assertEquals(10, s.validation().numClasses());
    }

    @Test
    void rejectsTooLargeOrNegativeCounts() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Split.carve(ALL, 1000, 1));
        assertTrue(e.getMessage().contains("1000") && e.getMessage().contains("validation count"), e.getMessage());
        IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class, () -> Split.carve(ALL, 1500, 1));
        assertTrue(e2.getMessage().contains("1500") && e2.getMessage().contains("1000"), e2.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Split.carve(ALL, -1, 1));
    }
}
