package io.chorus.worker.data;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.util.Arrays;
import java.util.Objects;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Reads labelled images from a pair of IDX files (the format of MNIST and Fashion-MNIST), plain or
 * gzip-compressed.
 *
 * <p>Files are opened through the Hadoop {@link FileSystem} API so that the same code reads a local
 * copy on a laptop and {@code hdfs://} or {@code s3a://} data on a cluster. Plain paths without a
 * scheme are resolved against the configuration's default file system (the local one unless
 * {@code fs.defaultFS} says otherwise), exactly as Hadoop and Spark resolve them. Likewise, names are
 * Hadoop path strings and are not percent-decoded: write {@code file:///data/my files/x}, not
 * {@code file:///data/my%20files/x}.
 *
 * <p>Supported layouts, all with unsigned-byte elements:
 * <ul>
 *   <li>images {@code 0x00000803}: dimensions {@code n, h, w}; one channel;</li>
 *   <li>images {@code 0x00000804}: dimensions {@code n, h, w, c}, channels-last on disk and
 *       converted to the channels-first layout of {@link ImageData};</li>
 *   <li>labels {@code 0x00000801}: dimension {@code n}.</li>
 * </ul>
 * Compression is detected from the gzip magic bytes {@code 0x1f 0x8b}, not from the file name.
 *
 * <p>The reader is strict on purpose. A truncated download silently read as a smaller data set, or a
 * label file from another data set, would train every member of an ensemble on wrong data and only
 * show up, if at all, as mysteriously poor accuracy hours later. So a file whose length does not match
 * its header exactly (short or with trailing bytes), a count mismatch between images and labels, and a
 * label outside {@code [0, numClasses)} are all {@link DataFormatException}s whose message names the
 * file and says what was found and what was expected.
 */
public final class IdxReader {

    /** Magic number of an unsigned-byte, 3-dimensional (n, h, w) image file. */
    public static final int MAGIC_IMAGES_3D = 0x00000803;
    /** Magic number of an unsigned-byte, 4-dimensional (n, h, w, c) image file. */
    public static final int MAGIC_IMAGES_4D = 0x00000804;
    /** Magic number of an unsigned-byte, 1-dimensional label file. */
    public static final int MAGIC_LABELS = 0x00000801;

    private static final int TYPE_UNSIGNED_BYTE = 0x08;
    /** Initial buffer for the data section; grown as bytes actually arrive (see {@link #readData}). */
    private static final int INITIAL_BUFFER = 16 << 20;
    private static final int MAX_ARRAY = Integer.MAX_VALUE - 8;

    private IdxReader() {
    }

    /**
     * Reads an image file and its label file through the Hadoop file system API.
     *
     * @param imagesUri  URI or path of the image file ({@code file:}, {@code hdfs:}, {@code s3a:}, or a
     *                   plain path resolved against the default file system)
     * @param labelsUri  URI or path of the label file
     * @param numClasses number of classes; every label must be in {@code [0, numClasses)}
     * @param conf       Hadoop configuration (credentials, default file system, ...)
     * @return the images and labels
     * @throws java.io.FileNotFoundException if a file does not exist
     * @throws DataFormatException           if a file is malformed; the message names it
     * @throws IOException                   if reading fails
     */
    public static ImageData read(String imagesUri, String labelsUri, int numClasses, Configuration conf)
            throws IOException {
        Objects.requireNonNull(imagesUri, "imagesUri");
        Objects.requireNonNull(labelsUri, "labelsUri");
        Objects.requireNonNull(conf, "conf");
        Path imagesPath = new Path(imagesUri);
        Path labelsPath = new Path(labelsUri);
        FileSystem imagesFs = FileSystem.get(imagesPath.toUri(), conf);
        FileSystem labelsFs = FileSystem.get(labelsPath.toUri(), conf);
        try (InputStream images = imagesFs.open(imagesPath);
             InputStream labels = labelsFs.open(labelsPath)) {
            return read(images, imagesUri, labels, labelsUri, numClasses);
        }
    }

    /**
     * Reads images and labels from streams, for data that does not come from a file system.
     * The streams are read to their end but not closed: the caller owns them.
     *
     * @param images     the image file's bytes, plain or gzip
     * @param imagesName name of the image source, used in error messages
     * @param labels     the label file's bytes, plain or gzip
     * @param labelsName name of the label source, used in error messages
     * @param numClasses number of classes; every label must be in {@code [0, numClasses)}
     * @return the images and labels
     * @throws DataFormatException if a source is malformed; the message names it
     * @throws IOException         if reading fails
     */
    public static ImageData read(InputStream images, String imagesName, InputStream labels, String labelsName,
                                 int numClasses) throws IOException {
        Objects.requireNonNull(images, "images");
        Objects.requireNonNull(labels, "labels");
        Objects.requireNonNull(imagesName, "imagesName");
        Objects.requireNonNull(labelsName, "labelsName");
        if (numClasses < 1) {
            throw new IllegalArgumentException("numClasses must be at least 1, got " + numClasses);
        }

        Source img = new Source(images, imagesName);
        int magic = img.readHeaderInt("magic number");
        checkMagic(imagesName, magic, "an image file", "0x00000803 (n,h,w) or 0x00000804 (n,h,w,c)",
                MAGIC_IMAGES_3D, MAGIC_IMAGES_4D);
        int count = img.readDimension(0);
        int height = img.readDimension(1);
        int width = img.readDimension(2);
        int channels = magic == MAGIC_IMAGES_4D ? img.readDimension(3) : 1;
        long perImage = (long) height * width * channels;
        long total = perImage * count;
        if (perImage > MAX_ARRAY || total > MAX_ARRAY) {
            throw new DataFormatException(imagesName + ": " + count + " images of " + height + "x" + width + "x"
                    + channels + " (" + total + " bytes) are too many to hold in one array");
        }
        ImageShape shape = new ImageShape(height, width, channels);
        String what = "pixel data (" + count + " images of " + shape + ")";
        byte[] pixels = img.readData((int) total, what);
        img.expectEnd((int) total, what);
        if (channels > 1) {
            pixels = toChannelsFirst(pixels, count, height, width, channels);
        }

        Source lab = new Source(labels, labelsName);
        int labelMagic = lab.readHeaderInt("magic number");
        checkMagic(labelsName, labelMagic, "a label file", "0x00000801 (n)", MAGIC_LABELS);
        int labelCount = lab.readDimension(0);
        if (labelCount != count) {
            throw new DataFormatException(labelsName + ": has " + labelCount + " labels but " + imagesName
                    + " has " + count + " images; the counts must be equal");
        }
        String labelWhat = "label data (" + labelCount + " labels)";
        byte[] rawLabels = lab.readData(labelCount, labelWhat);
        lab.expectEnd(labelCount, labelWhat);
        int[] labelValues = new int[labelCount];
        for (int i = 0; i < labelCount; i++) {
            int v = rawLabels[i] & 0xFF;
            if (v >= numClasses) {
                throw new DataFormatException(labelsName + ": label at index " + i + " is " + v
                        + ", outside [0," + numClasses + ") for " + numClasses + " classes");
            }
            labelValues[i] = v;
        }
        return new ImageData(shape, pixels, labelValues, numClasses);
    }

    private static void checkMagic(String name, int magic, String kind, String expected, int... allowed)
            throws DataFormatException {
        for (int a : allowed) {
            if (magic == a) {
                return;
            }
        }
        String found = String.format("0x%08x", magic);
        String problem;
        if ((magic >>> 16) != 0) {
            problem = "not an IDX file: magic number " + found + " does not start with two zero bytes";
        } else if (((magic >>> 8) & 0xFF) != TYPE_UNSIGNED_BYTE) {
            problem = String.format("magic number %s has element type code 0x%02x (%s), but Chorus reads only"
                    + " 0x%02x (unsigned byte)", found, (magic >>> 8) & 0xFF, typeName((magic >>> 8) & 0xFF),
                    TYPE_UNSIGNED_BYTE);
        } else {
            problem = "magic number " + found + " declares " + (magic & 0xFF) + " dimension(s), wrong for " + kind;
            if (magic == MAGIC_LABELS) {
                problem += " (it looks like a label file)";
            } else if (magic == MAGIC_IMAGES_3D || magic == MAGIC_IMAGES_4D) {
                problem += " (it looks like an image file)";
            }
        }
        throw new DataFormatException(name + ": " + problem + "; expected " + kind + " with magic number " + expected);
    }

    private static String typeName(int code) {
        return switch (code) {
            case 0x08 -> "unsigned byte";
            case 0x09 -> "signed byte";
            case 0x0B -> "short";
            case 0x0C -> "int";
            case 0x0D -> "float";
            case 0x0E -> "double";
            default -> "unknown type";
        };
    }

    /** Reorders each image from (h, w, c), as stored in a 4-dimensional IDX file, to (c, h, w). */
    /** Images stored channels-last (as IDX files hold them) in the channels-first layout of {@link ImageData}. */
    public static byte[] toChannelsFirst(byte[] hwc, int count, int height, int width, int channels) {
        byte[] chw = new byte[hwc.length];
        int plane = height * width;
        int per = plane * channels;
        for (int i = 0; i < count; i++) {
            int base = i * per;
            for (int p = 0; p < plane; p++) {
                int src = base + p * channels;
                for (int c = 0; c < channels; c++) {
                    chw[base + c * plane + p] = hwc[src + c];
                }
            }
        }
        return chw;
    }

    /**
     * One IDX input: transparently un-gzipped, with every low-level failure translated into a message
     * that names the file.
     */
    private static final class Source {
        private final String name;
        private final InputStream in;
        private final boolean gzip;
        /** Bytes of the (decompressed) file consumed so far. */
        private long position;

        Source(InputStream raw, String name) throws IOException {
            this.name = name;
            PushbackInputStream peek = new PushbackInputStream(new BufferedInputStream(raw, 1 << 16), 2);
            byte[] head = new byte[2];
            int n = 0;
            while (n < 2) {
                int r = peek.read(head, n, 2 - n);
                if (r < 0) {
                    break;
                }
                n += r;
            }
            peek.unread(head, 0, n);
            gzip = n == 2 && (head[0] & 0xFF) == 0x1f && (head[1] & 0xFF) == 0x8b;
            if (gzip) {
                try {
                    in = new GZIPInputStream(peek, 1 << 16);
                } catch (ZipException | EOFException e) {
                    throw corrupt(e);
                }
            } else {
                in = peek;
            }
        }

        private DataFormatException corrupt(IOException e) {
            return new DataFormatException(name + ": corrupt gzip data after " + position
                    + " decompressed bytes (" + e.getMessage() + ")", e);
        }

        /** Like {@link InputStream#read(byte[], int, int)}, with gzip errors reported as format errors. */
        private int read(byte[] buf, int off, int len) throws IOException {
            try {
                int r = in.read(buf, off, len);
                if (r > 0) {
                    position += r;
                }
                return r;
            } catch (ZipException e) {
                throw corrupt(e);
            } catch (EOFException e) {
                if (gzip) {
                    throw corrupt(e);
                }
                throw e;
            }
        }

        /** Reads up to {@code len} bytes, fewer only at the end of the input. */
        private int readFully(byte[] buf, int off, int len) throws IOException {
            int n = 0;
            while (n < len) {
                int r = read(buf, off + n, len - n);
                if (r < 0) {
                    break;
                }
                n += r;
            }
            return n;
        }

        int readHeaderInt(String what) throws IOException {
            byte[] b = new byte[4];
            long at = position;
            int n = readFully(b, 0, 4);
            if (n < 4) {
                throw new DataFormatException(name + ": truncated header: expected 4 bytes of " + what
                        + " at offset " + at + ", only " + n + " available");
            }
            return ((b[0] & 0xFF) << 24) | ((b[1] & 0xFF) << 16) | ((b[2] & 0xFF) << 8) | (b[3] & 0xFF);
        }

        int readDimension(int index) throws IOException {
            int d = readHeaderInt("dimension " + index);
            if (d <= 0) {
                // Sizes are unsigned 32-bit on disk; anything above 2^31-1 is as unusable as zero.
                throw new DataFormatException(name + ": dimension " + index + " is "
                        + Integer.toUnsignedString(d) + "; every dimension must be positive (and below 2^31)");
            }
            return d;
        }

        /**
         * Reads exactly {@code length} bytes of data. The buffer grows as data actually arrives, so a
         * corrupt header that claims gigabytes fails with "truncated" instead of exhausting memory.
         */
        byte[] readData(int length, String what) throws IOException {
            long start = position;
            byte[] buf = new byte[Math.min(length, INITIAL_BUFFER)];
            int n = 0;
            while (n < length) {
                if (n == buf.length) {
                    buf = Arrays.copyOf(buf, (int) Math.min(length, 2L * buf.length));
                }
                int r = read(buf, n, buf.length - n);
                if (r < 0) {
                    throw new DataFormatException(name + ": truncated file: expected " + length + " bytes of "
                            + what + " after the " + start + "-byte header, only " + n + " available");
                }
                n += r;
            }
            return buf;
        }

        /** Fails if anything follows the data: the header and the file length disagree. */
        void expectEnd(int dataLength, String what) throws IOException {
            byte[] buf = new byte[8192];
            long extra = 0;
            for (int r; (r = read(buf, 0, buf.length)) >= 0; ) {
                extra += r;
            }
            if (extra > 0) {
                throw new DataFormatException(name + ": " + extra + " unexpected trailing byte(s) after the "
                        + dataLength + " bytes of " + what + " that the header declares");
            }
        }
    }
}
