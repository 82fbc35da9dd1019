package io.chorus.worker.data;

import java.nio.ByteBuffer;

/**
 * Writes the unsigned-byte IDX files {@link IdxReader} reads: images as {@code 0x00000803} (n, h, w) when
 * they have one channel, else {@code 0x00000804} (n, h, w, c); labels as {@code 0x00000801} (n). Used to
 * turn a DataFrame into the data directory a Chorus run trains on.
 */
public final class IdxWriter {

    private IdxWriter() {
    }

    /**
     * An image file.
     *
     * @param shape  every image's shape
     * @param hwc    the images' pixels, one image after another, each row-major with channels last
     * @param count  number of images
     */
    public static byte[] images(ImageShape shape, byte[] hwc, int count) {
        int per = shape.pixels();
        if ((long) per * count != hwc.length) {
            throw new IllegalArgumentException(hwc.length + " pixel bytes are not " + count + " images of " + shape);
        }
        boolean gray = shape.channels() == 1;
        ByteBuffer b = ByteBuffer.allocate((gray ? 16 : 20) + hwc.length);
        b.putInt(gray ? IdxReader.MAGIC_IMAGES_3D : IdxReader.MAGIC_IMAGES_4D).putInt(count)
                .putInt(shape.height()).putInt(shape.width());
        if (!gray) {
            b.putInt(shape.channels());
        }
        return b.put(hwc).array();
    }

    /** A label file; every label must fit an unsigned byte. */
    public static byte[] labels(int[] labels) {
        ByteBuffer b = ByteBuffer.allocate(8 + labels.length);
        b.putInt(IdxReader.MAGIC_LABELS).putInt(labels.length);
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] > 255) {
                throw new IllegalArgumentException("label " + labels[i] + " of example " + i
                        + " does not fit an IDX label file (0..255)");
            }
            b.put((byte) labels[i]);
        }
        return b.array();
    }
}
