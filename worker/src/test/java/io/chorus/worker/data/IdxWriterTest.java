package io.chorus.worker.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;

import org.junit.jupiter.api.Test;

/** IdxWriter writes byte for byte the files the tests build by hand, and IdxReader reads them back. */
class IdxWriterTest {

    @Test
    void grayImagesAreThreeDimensionalAndRoundTrip() throws IOException {
        byte[] pixels = IdxFiles.bytes(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 255);
        byte[] images = IdxWriter.images(new ImageShape(2, 3, 1), pixels, 2);
        assertArrayEquals(IdxFiles.images3(2, 2, 3, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 255), images);
        byte[] labels = IdxWriter.labels(new int[] {4, 0});
        assertArrayEquals(IdxFiles.labels(4, 0), labels);
        ImageData back = IdxReader.read(new ByteArrayInputStream(images), "images", new ByteArrayInputStream(labels),
                "labels", 5);
        assertEquals(new ImageShape(2, 3, 1), back.shape());
        assertArrayEquals(pixels, back.pixels());
        assertArrayEquals(new int[] {4, 0}, back.labels());
    }

    @Test
    void colorImagesAreFourDimensionalChannelsLast() throws IOException {
        // one 1x2 image, RGB: pixel 0 = (1, 2, 3), pixel 1 = (4, 5, 6)
        byte[] hwc = IdxFiles.bytes(1, 2, 3, 4, 5, 6);
        byte[] images = IdxWriter.images(new ImageShape(1, 2, 3), hwc, 1);
        assertArrayEquals(IdxFiles.images4(1, 1, 2, 3, 1, 2, 3, 4, 5, 6), images);
        ImageData back = IdxReader.read(new ByteArrayInputStream(images), "images",
                new ByteArrayInputStream(IdxWriter.labels(new int[] {1})), "labels", 2);
        assertArrayEquals(IdxFiles.bytes(1, 4, 2, 5, 3, 6), back.pixels(), "channels first in memory");
        assertArrayEquals(back.pixels(), IdxReader.toChannelsFirst(hwc, 1, 1, 2, 3));
    }

    @Test
    void wrongSizesAndLabelsAreRefused() {
        IllegalArgumentException size = assertThrows(IllegalArgumentException.class,
                () -> IdxWriter.images(new ImageShape(2, 2, 1), new byte[7], 2));
        assertTrue(size.getMessage().contains("7 pixel bytes are not 2 images of"), size.getMessage());
        IllegalArgumentException label = assertThrows(IllegalArgumentException.class,
                () -> IdxWriter.labels(new int[] {3, 300}));
        assertTrue(label.getMessage().contains("label 300 of example 1"), label.getMessage());
    }
}
