package io.chorus.driver.predict;

import java.util.Locale;

import org.apache.spark.ml.image.ImageSchema;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructType;

import io.chorus.worker.data.ImageShape;

/**
 * The image column of a DataFrame, turned into the bytes of IDX files (row-major, channels last). Three
 * column types are read:
 * <ul>
 *   <li>an ML Vector, or an array of numbers, of raw pixel values 0..255 in that layout (what
 *       {@code chorus predict} makes of IDX files; values scaled to [0, 1] are not recognized as such);</li>
 *   <li>a struct in Spark's image schema ({@code spark.read.format("image")}): its {@code data} is
 *       OpenCV's BGR(A) order, turned into RGB(A) here so that both column kinds mean the same image.</li>
 * </ul>
 * Each image must have exactly the shape the ensemble was trained on; a wrong one is named, with the
 * image's origin when it has one.
 */
public final class Pixels {
    private Pixels() {
    }

    /** Checks that {@code type} is one of the column types above; the message names the column. */
    public static void check(String column, DataType type) {
        if (type.equals(SQLDataTypes.VectorType()) || isImage(type)) {
            return;
        }
        if (type instanceof ArrayType a && a.elementType() instanceof NumericType) {
            return;
        }
        throw new IllegalArgumentException("column " + column + " is " + type.simpleString() + "; expected an ML "
                + "Vector or an array of pixel values 0..255, or a struct in Spark's image schema");
    }

    /** Whether {@code type} is Spark's image schema (the fields Chorus reads, at least). */
    public static boolean isImage(DataType type) {
        if (!(type instanceof StructType s)) {
            return false;
        }
        for (String f : new String[] {"height", "width", "nChannels", "data"}) {
            if (!java.util.Arrays.asList(s.fieldNames()).contains(f)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Writes one image's {@code shape.pixels()} bytes into {@code out} at {@code offset}.
     *
     * @param value  the column's value in one row
     */
    public static void write(Object value, ImageShape shape, String column, byte[] out, int offset) {
        int n = shape.pixels();
        if (value instanceof Row image) {
            // ImageSchema's getters read by position: origin, height, width, nChannels, mode, data.
            String[] fields = {"origin", "height", "width", "nChannels", "mode", "data"};
            for (int f : new int[] {1, 2, 3, 5}) {
                if (image.isNullAt(f)) {
                    throw new IllegalArgumentException("image " + origin(image) + " in column " + column + " has no "
                            + fields[f] + "; expected an image in Spark's image schema");
                }
            }
            int h = ImageSchema.getHeight(image);
            int w = ImageSchema.getWidth(image);
            int c = ImageSchema.getNChannels(image);
            if (h != shape.height() || w != shape.width() || c != shape.channels()) {
                throw new IllegalArgumentException(String.format(Locale.ROOT, "image %s in column %s is %dx%dx%d; the "
                        + "ensemble's input is %s", origin(image), column, h, w, c, shape));
            }
            byte[] data = ImageSchema.getData(image);
            if (data.length != n) {
                throw new IllegalArgumentException("image " + origin(image) + " in column " + column + " has "
                        + data.length + " bytes of data; " + h + "x" + w + "x" + c + " needs " + n);
            }
            if (c < 3) {
                System.arraycopy(data, 0, out, offset, n);
            } else {
                for (int p = 0; p < h * w; p++) {
                    for (int k = 0; k < c; k++) {
                        // BGR -> RGB, BGRA -> RGBA: the first three channels reversed, alpha kept.
                        out[offset + p * c + k] = data[p * c + (k < 3 ? 2 - k : k)];
                    }
                }
            }
            return;
        }
        if (value instanceof Vector v) {
            if (v.size() != n) {
                throw wrongSize(column, v.size(), shape);
            }
            for (int i = 0; i < n; i++) {
                out[offset + i] = pixel(v.apply(i), column);
            }
            return;
        }
        if (value instanceof scala.collection.Seq<?> seq) {
            if (seq.size() != n) {
                throw wrongSize(column, seq.size(), shape);
            }
            for (int i = 0; i < n; i++) {
                Object x = seq.apply(i);
                if (!(x instanceof Number num)) {
                    throw new IllegalArgumentException("column " + column + " holds " + x + "; expected pixel values");
                }
                out[offset + i] = pixel(num.doubleValue(), column);
            }
            return;
        }
        throw new IllegalArgumentException("column " + column + " holds " + (value == null ? "null (no image)"
                : value.getClass().getName()) + "; expected an ML Vector, an array of numbers or an image");
    }

    private static byte pixel(double x, String column) {
        if (!(x >= 0 && x <= 255)) {
            throw new IllegalArgumentException("column " + column + " holds " + x + ", not a pixel value in [0, 255]");
        }
        return (byte) Math.round(x);
    }

    private static IllegalArgumentException wrongSize(String column, int size, ImageShape shape) {
        return new IllegalArgumentException(String.format(Locale.ROOT, "column %s has %d values; the ensemble's "
                + "input %s needs %d", column, size, shape, shape.pixels()));
    }

    private static String origin(Row image) {
        String o = image.isNullAt(0) ? null : ImageSchema.getOrigin(image);
        return o == null || o.isEmpty() ? "(no origin)" : o;
    }
}
