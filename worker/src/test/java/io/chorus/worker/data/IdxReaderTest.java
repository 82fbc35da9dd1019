package io.chorus.worker.data;

import static io.chorus.worker.data.IdxFiles.bytes;
import static io.chorus.worker.data.IdxFiles.gzip;
import static io.chorus.worker.data.IdxFiles.idx;
import static io.chorus.worker.data.IdxFiles.images3;
import static io.chorus.worker.data.IdxFiles.images4;
import static io.chorus.worker.data.IdxFiles.labels;
import static io.chorus.worker.data.IdxFiles.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxReaderTest {

    private static final Path FASHION = Path.of("/usr/share/datasets/fashion-mnist");

    /** Two 2x3 grayscale images, row-major. */
    private static final byte[] GRAY = images3(2, 2, 3,
            0, 1, 2,
            3, 4, 255,
            10, 20, 30,
            40, 50, 128);
    private static final byte[] GRAY_LABELS = labels(7, 0);

    @TempDir
    Path tmp;

    private static ImageData readBytes(byte[] images, byte[] labels, int numClasses) throws IOException {
        return IdxReader.read(new ByteArrayInputStream(images), "imgs.idx", new ByteArrayInputStream(labels),
                "labs.idx", numClasses);
    }

    private ImageData readFiles(byte[] images, byte[] labels, int numClasses) throws IOException {
        Path i = write(tmp, "images.idx", images);
        Path l = write(tmp, "labels.idx", labels);
        return IdxReader.read(i.toString(), l.toString(), numClasses, new Configuration());
    }

    private static DataFormatException formatError(byte[] images, byte[] labels, int numClasses) {
        return assertThrows(DataFormatException.class, () -> readBytes(images, labels, numClasses));
    }

    private static void assertMentions(Exception e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), () -> "message should mention '" + p + "': " + e.getMessage());
        }
    }

    private static void assertGray(ImageData d) {
        assertEquals(new ImageShape(2, 3, 1), d.shape());
        assertEquals(2, d.size());
        assertEquals(10, d.numClasses());
        assertArrayEquals(bytes(0, 1, 2, 3, 4, 255, 10, 20, 30, 40, 50, 128), d.pixels());
        assertArrayEquals(new int[] {7, 0}, d.labels());
    }

    @Test
    void readsRaw3DimensionalFiles() throws IOException {
        assertGray(readFiles(GRAY, GRAY_LABELS, 10));
    }

    @Test
    void readsGzip3DimensionalFiles() throws IOException {
        assertGray(readFiles(gzip(GRAY), gzip(GRAY_LABELS), 10));
    }

    @Test
    void readsMixedCompressionFromStreams() throws IOException {
        assertGray(readBytes(gzip(GRAY), GRAY_LABELS, 10));
        assertGray(readBytes(GRAY, gzip(GRAY_LABELS), 10));
    }

    /** One 2x2 RGB image stored (h, w, c): pixel (y,x) has channels (r,g,b) = (10yx.., ...). */
    private static final byte[] RGB = images4(2, 2, 2, 3,
            // image 0: (0,0) (0,1) (1,0) (1,1), each r,g,b
            1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
            // image 1
            101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112);

    private static void assertRgb(ImageData d) {
        assertEquals(new ImageShape(2, 2, 3), d.shape());
        // channels-first: all reds row-major, then greens, then blues
        assertArrayEquals(bytes(
                1, 4, 7, 10, 2, 5, 8, 11, 3, 6, 9, 12,
                101, 104, 107, 110, 102, 105, 108, 111, 103, 106, 109, 112), d.pixels());
        assertArrayEquals(new int[] {1, 2}, d.labels());
    }

    @Test
    void converts4DimensionalFilesToChannelsFirst() throws IOException {
        assertRgb(readFiles(RGB, labels(1, 2), 3));
    }

    @Test
    void converts4DimensionalGzipFilesToChannelsFirst() throws IOException {
        assertRgb(readFiles(gzip(RGB), gzip(labels(1, 2)), 3));
    }

    @Test
    void fourDimensionalFileWithOneChannelEqualsThreeDimensional() throws IOException {
        byte[] one = idx(0x00000804, new int[] {2, 2, 3, 1}, bytes(0, 1, 2, 3, 4, 255, 10, 20, 30, 40, 50, 128));
        assertGray(readBytes(one, GRAY_LABELS, 10));
    }

    @Test
    void readsThroughFileUri() throws IOException {
        Path i = write(tmp, "dir with space/images.gz", gzip(GRAY));
        Path l = write(tmp, "dir with space/labels", GRAY_LABELS);
        // Hadoop path strings are not percent-decoded: the space stays a space.
        assertGray(IdxReader.read("file://" + i.toAbsolutePath(), "file:" + l.toAbsolutePath(), 10,
                new Configuration()));
    }

    @Test
    void missingFileIsFileNotFound() {
        Path l = write(tmp, "labels", GRAY_LABELS);
        String missing = tmp.resolve("nope").toString();
        FileNotFoundException e = assertThrows(FileNotFoundException.class,
                () -> IdxReader.read(missing, l.toString(), 10, new Configuration()));
        assertMentions(e, "nope");
    }

    @Test
    void rejectsBadMagic() {
        byte[] bad = idx(0x12345678, new int[] {2, 2, 3}, new byte[12]);
        assertMentions(formatError(bad, GRAY_LABELS, 10), "imgs.idx", "0x12345678", "0x00000803");
        assertMentions(formatError(GRAY, idx(0x12340801, new int[] {2}, new byte[2]), 10),
                "labs.idx", "0x12340801", "0x00000801");
    }

    @Test
    void rejectsWrongTypeCode() {
        byte[] floats = idx(0x00000D03, new int[] {2, 2, 3}, new byte[48]);
        assertMentions(formatError(floats, GRAY_LABELS, 10), "imgs.idx", "0x00000d03", "0x0d", "float",
                "unsigned byte");
        byte[] intLabels = idx(0x00000C01, new int[] {2}, new byte[8]);
        assertMentions(formatError(GRAY, intLabels, 10), "labs.idx", "0x00000c01", "int");
    }

    @Test
    void rejectsWrongDimensionCount() {
        byte[] twoDims = idx(0x00000802, new int[] {2, 6}, new byte[12]);
        assertMentions(formatError(twoDims, GRAY_LABELS, 10), "imgs.idx", "2 dimension", "0x00000803");
        byte[] twoDimLabels = idx(0x00000802, new int[] {2, 1}, new byte[2]);
        assertMentions(formatError(GRAY, twoDimLabels, 10), "labs.idx", "2 dimension", "0x00000801");
    }

    @Test
    void recognizesSwappedFiles() {
        assertMentions(formatError(GRAY_LABELS, GRAY, 10), "imgs.idx", "label file");
    }

    @Test
    void rejectsNonPositiveDimensions() {
        byte[] zeroHeight = idx(0x00000803, new int[] {2, 0, 3}, new byte[0]);
        assertMentions(formatError(zeroHeight, GRAY_LABELS, 10), "imgs.idx", "dimension 1 is 0", "positive");
        byte[] hugeCount = idx(0x00000803, new int[] {-1, 2, 3}, new byte[0]);
        assertMentions(formatError(hugeCount, GRAY_LABELS, 10), "imgs.idx", "dimension 0 is 4294967295");
    }

    @Test
    void rejectsTruncatedImages() {
        byte[] truncated = Arrays.copyOf(GRAY, GRAY.length - 5);
        assertMentions(formatError(truncated, GRAY_LABELS, 10), "imgs.idx", "truncated", "expected 12 bytes",
                "only 7 available");
        assertMentions(formatError(gzip(truncated), GRAY_LABELS, 10), "imgs.idx", "truncated", "only 7 available");
    }

    @Test
    void rejectsTruncatedHeader() {
        byte[] header = Arrays.copyOf(GRAY, 10);
        assertMentions(formatError(header, GRAY_LABELS, 10), "imgs.idx", "truncated header", "dimension 1",
                "only 2 available");
        assertMentions(formatError(new byte[0], GRAY_LABELS, 10), "imgs.idx", "truncated header", "only 0");
    }

    @Test
    void rejectsTruncatedLabels() {
        byte[] truncated = Arrays.copyOf(GRAY_LABELS, GRAY_LABELS.length - 1);
        assertMentions(formatError(GRAY, truncated, 10), "labs.idx", "truncated", "expected 2 bytes",
                "only 1 available");
    }

    @Test
    void rejectsTrailingBytes() {
        byte[] longer = Arrays.copyOf(GRAY, GRAY.length + 3);
        assertMentions(formatError(longer, GRAY_LABELS, 10), "imgs.idx", "3 unexpected trailing byte");
        assertMentions(formatError(gzip(longer), GRAY_LABELS, 10), "imgs.idx", "3 unexpected trailing byte");
        byte[] longerLabels = Arrays.copyOf(GRAY_LABELS, GRAY_LABELS.length + 1);
        assertMentions(formatError(GRAY, longerLabels, 10), "labs.idx", "1 unexpected trailing byte");
    }

    @Test
    void rejectsCountMismatch() {
        DataFormatException e = formatError(GRAY, labels(1, 2, 3), 10);
        assertMentions(e, "labs.idx", "3 labels", "imgs.idx", "2 images");
    }

    @Test
    void rejectsLabelOutOfRangeNamingIndexAndValue() {
        DataFormatException e = formatError(images3(3, 1, 1, 0, 0, 0), labels(4, 9, 200), 5);
        assertMentions(e, "labs.idx", "index 1", "is 9", "[0,5)");
    }

    @Test
    void labelsAreUnsigned() throws IOException {
        ImageData d = readBytes(images3(1, 1, 1, 0), labels(200), 256);
        assertArrayEquals(new int[] {200}, d.labels());
    }

    @Test
    void rejectsCorruptGzip() {
        byte[] gz = gzip(GRAY);
        byte[] corrupt = gz.clone();
        for (int i = 10; i < corrupt.length - 8; i++) {
            corrupt[i] = (byte) 0xFF; // the deflate stream, after the 10-byte gzip header
        }
        assertMentions(formatError(corrupt, GRAY_LABELS, 10), "imgs.idx", "corrupt gzip");

        byte[] badCrc = gz.clone();
        badCrc[badCrc.length - 6] ^= 0x55; // CRC-32 in the trailer
        assertMentions(formatError(badCrc, GRAY_LABELS, 10), "imgs.idx", "corrupt gzip");

        byte[] gzLabels = gzip(GRAY_LABELS);
        byte[] noTrailer = Arrays.copyOf(gzLabels, gzLabels.length - 5);
        assertMentions(formatError(GRAY, noTrailer, 10), "labs.idx", "corrupt gzip");
        byte[] cut = Arrays.copyOf(gz, gz.length - 14);
        assertMentions(formatError(cut, GRAY_LABELS, 10), "imgs.idx", "corrupt gzip");

        byte[] badHeader = bytes(0x1f, 0x8b, 0x01, 0, 0, 0, 0, 0, 0, 0, 0);
        assertMentions(formatError(badHeader, GRAY_LABELS, 10), "imgs.idx", "corrupt gzip");
    }

    @Test
    void rejectsInvalidClassCount() {
        assertThrows(IllegalArgumentException.class, () -> readBytes(GRAY, GRAY_LABELS, 0));
    }

    @Test
    void readsRealFashionMnistTrainingSet() throws IOException {
        Path images = FASHION.resolve("train-images-idx3-ubyte.gz");
        Path labels = FASHION.resolve("train-labels-idx1-ubyte.gz");
        Assumptions.assumeTrue(Files.isRegularFile(images) && Files.isRegularFile(labels),
                "Fashion-MNIST not installed at " + FASHION);
        ImageData d = IdxReader.read(images.toUri().toString(), labels.toString(), 10, new Configuration());
        assertEquals(60000, d.size());
        assertEquals(new ImageShape(28, 28, 1), d.shape());
        assertEquals(60000L * 28 * 28, d.pixels().length);
        // Fashion-MNIST's training set is balanced: 6000 images of each of the 10 classes.
        int[] perClass = new int[10];
        for (int l : d.labels()) {
            perClass[l]++;
        }
        int[] expected = new int[10];
        Arrays.fill(expected, 6000);
        assertArrayEquals(expected, perClass);
    }
}
