package io.chorus.worker.data;

/**
 * Height, width and channels of one image, as read from the data (never hard-coded).
 * Chorus lays images out channels-first (NCHW), the layout its networks are built for.
 */
public record ImageShape(int height, int width, int channels) implements java.io.Serializable {
    public ImageShape {
        if (height < 1 || width < 1 || channels < 1) {
            throw new IllegalArgumentException(
                    "image shape must be positive, got " + height + "x" + width + "x" + channels);
        }
    }

    /** Values in one image: channels x height x width. */
    public int pixels() {
        return height * width * channels;
    }

    @Override
    public String toString() {
        return height + "x" + width + "x" + channels;
    }
}
