package io.chorus.worker.data;

/**
 * Test data whose images carry their own index, so tests can tell which example ended where: image i
 * of shape 1x2x1 has pixels {@code (i >> 8, i & 0xFF)} and label {@code i % numClasses}.
 */
final class Indexed {

    static final ImageShape SHAPE = new ImageShape(1, 2, 1);

    private Indexed() {
    }

    static ImageData data(int n, int numClasses) {
        byte[] pixels = new byte[2 * n];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            pixels[2 * i] = (byte) (i >> 8);
            pixels[2 * i + 1] = (byte) i;
            labels[i] = i % numClasses;
        }
        return new ImageData(SHAPE, pixels, labels, numClasses);
    }

    /** The index carried by image {@code k} of {@code d}. */
    static int index(ImageData d, int k) {
        return ((d.pixels()[2 * k] & 0xFF) << 8) | (d.pixels()[2 * k + 1] & 0xFF);
    }
}
