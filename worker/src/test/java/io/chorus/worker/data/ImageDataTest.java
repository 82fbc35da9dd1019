package io.chorus.worker.data;

import static io.chorus.worker.data.IdxFiles.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ImageDataTest {

    private static final ImageShape SHAPE = new ImageShape(1, 2, 1);
    /** Image i has pixels (10i, 10i+1) and label i % 3. */
    private static final ImageData DATA = new ImageData(SHAPE, bytes(0, 1, 10, 11, 20, 21, 30, 31),
            new int[] {0, 1, 2, 0}, 3);

    @Test
    void selectKeepsOrderAndRepeats() {
        ImageData s = DATA.select(new int[] {3, 1, 1});
        assertEquals(3, s.size());
        assertArrayEquals(bytes(30, 31, 10, 11, 10, 11), s.pixels());
        assertArrayEquals(new int[] {0, 1, 1}, s.labels());
        assertEquals(SHAPE, s.shape());
        assertEquals(3, s.numClasses());
        assertEquals(0, DATA.select(new int[0]).size());
    }

    @Test
    void selectRejectsIndexOutOfRange() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DATA.select(new int[] {0, 4}));
        assertEquals("index 4 at position 1 is outside [0,4)", e.getMessage());
    }

    @Test
    void limitTakesPrefix() {
        ImageData l = DATA.limit(2);
        assertArrayEquals(bytes(0, 1, 10, 11), l.pixels());
        assertArrayEquals(new int[] {0, 1}, l.labels());
        assertSame(DATA, DATA.limit(4));
        assertSame(DATA, DATA.limit(100));
        assertEquals(0, DATA.limit(0).size());
        assertThrows(IllegalArgumentException.class, () -> DATA.limit(-1));
    }

    @Test
    void constructorValidates() {
        assertThrows(IllegalArgumentException.class, () -> new ImageData(SHAPE, new byte[3], new int[2], 3));
        assertThrows(IllegalArgumentException.class, () -> new ImageData(SHAPE, new byte[4], new int[] {0, 3}, 3));
        assertThrows(IllegalArgumentException.class, () -> new ImageData(SHAPE, new byte[4], new int[] {-1, 0}, 3));
        assertThrows(IllegalArgumentException.class, () -> new ImageData(SHAPE, new byte[0], new int[0], 0));
    }

    @Test
    void equalityComparesContents() {
        ImageData copy = new ImageData(new ImageShape(1, 2, 1), DATA.pixels().clone(), DATA.labels().clone(), 3);
        assertEquals(DATA, copy);
        assertEquals(DATA.hashCode(), copy.hashCode());
        assertNotEquals(DATA, DATA.limit(3));
        assertNotEquals(DATA, new ImageData(SHAPE, DATA.pixels(), DATA.labels(), 4));
    }
}
