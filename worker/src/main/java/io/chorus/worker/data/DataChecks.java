package io.chorus.worker.data;

import java.util.ArrayList;
import java.util.List;

/**
 * What a job asks of its data beyond well-formed IDX files ({@link IdxReader} checks those): images large
 * enough to train on, and a test split whose images have the training images' shape. Each check fails with a
 * {@link DataFormatException} whose message names the file, what it holds and what was expected, so a bad
 * data set is refused before any member trains instead of failing the evaluation after all the training.
 */
public final class DataChecks {

    /**
     * Smallest image side Chorus trains on. Every architecture of the zoo builds a valid graph down to 1x1 (the
     * pooling layers skip a side below 2, LeNet pads a side below its kernel), so no architecture needs more;
     * below 8x8 those degenerate graphs are all that is left of the networks, and such a data set is almost
     * always a misread one.
     */
    public static final int MIN_SIDE = 8;

    private DataChecks() {
    }

    /** Refuses images smaller than {@value #MIN_SIDE}x{@value #MIN_SIDE}; {@code file} names their file. */
    public static void requireTrainable(String file, ImageShape shape) throws DataFormatException {
        if (shape.height() < MIN_SIDE || shape.width() < MIN_SIDE) {
            throw new DataFormatException(file + ": images are " + shape.height() + "x" + shape.width()
                    + " pixels, smaller than " + MIN_SIDE + "x" + MIN_SIDE + ", the smallest images Chorus trains on"
                    + " (with any architecture)");
        }
    }

    /**
     * Refuses images of {@code file} whose shape is not {@code expected}.
     *
     * @param expectedSource what the expected shape belongs to, as it reads after "but", e.g.
     *                       "the training images (path) are" or "the run was trained on"
     */
    public static void requireShape(String file, ImageShape found, ImageShape expected, String expectedSource)
            throws DataFormatException {
        if (found.equals(expected)) {
            return;
        }
        List<String> differ = new ArrayList<>();
        differ(differ, "height", found.height(), expected.height());
        differ(differ, "width", found.width(), expected.width());
        differ(differ, "channels", found.channels(), expected.channels());
        throw new DataFormatException(file + ": images are " + found + " (height x width x channels), but "
                + expectedSource + " " + expected + ": " + String.join(", ", differ));
    }

    private static void differ(List<String> out, String what, int found, int expected) {
        if (found != expected) {
            out.add(what + " " + found + " instead of " + expected);
        }
    }
}
