package io.chorus.worker.data;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class DataChecksTest {

    @Test
    void imagesFrom8x8UpAreTrainableSmallerOnesAreNot() {
        assertDoesNotThrow(() -> DataChecks.requireTrainable("f", new ImageShape(8, 8, 1)));
        assertDoesNotThrow(() -> DataChecks.requireTrainable("f", new ImageShape(8, 300, 3)));
        DataFormatException tall = assertThrows(DataFormatException.class,
                () -> DataChecks.requireTrainable("train-images", new ImageShape(28, 7, 1)));
        assertEquals("train-images: images are 28x7 pixels, smaller than 8x8, the smallest images Chorus trains on"
                + " (with any architecture)", tall.getMessage());
        assertThrows(DataFormatException.class, () -> DataChecks.requireTrainable("f", new ImageShape(7, 28, 3)));
    }

    @Test
    void aShapeMismatchNamesTheFileBothShapesAndEachDifference() throws DataFormatException {
        DataChecks.requireShape("t10k", new ImageShape(28, 28, 1), new ImageShape(28, 28, 1), "the run was trained on");
        DataFormatException e = assertThrows(DataFormatException.class, () -> DataChecks.requireShape("t10k",
                new ImageShape(32, 28, 3), new ImageShape(28, 28, 1), "the run was trained on"));
        assertEquals("t10k: images are 32x28x3 (height x width x channels), but the run was trained on 28x28x1: "
                + "height 32 instead of 28, channels 3 instead of 1", e.getMessage());
    }
}
