package io.chorus.driver.predict;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.spark.ml.image.ImageSchema;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.Test;

import io.chorus.worker.data.ImageShape;

/** The three kinds of image column become the same IDX bytes; wrong ones are named. */
class PixelsTest {
    static final ImageShape RGB_1X2 = new ImageShape(1, 2, 3);

    private static byte[] bytes(Object value, ImageShape shape) {
        byte[] out = new byte[shape.pixels() + 1];
        Pixels.write(value, shape, "features", out, 1);
        return java.util.Arrays.copyOfRange(out, 1, out.length);
    }

    private static Row image(String origin, int h, int w, int c, int... data) {
        byte[] b = new byte[data.length];
        for (int i = 0; i < data.length; i++) {
            b[i] = (byte) data[i];
        }
        return RowFactory.create(origin, h, w, c, c == 1 ? 0 : 16, b);
    }

    @Test
    void vectorsArraysAndImagesMeanTheSamePixels() {
        byte[] rgb = {10, 20, 30, 40, 50, (byte) 200};
        assertArrayEquals(rgb, bytes(Vectors.dense(10, 20, 30, 40, 50, 200), RGB_1X2));
        assertArrayEquals(rgb, bytes(scala.collection.JavaConverters.asScalaBufferConverter(
                java.util.List.<Object>of(10, 20, 30, 40, 50, 200)).asScala(), RGB_1X2));
        // Spark's image schema stores BGR: the same image is (30, 20, 10), (200, 50, 40).
        assertArrayEquals(rgb, bytes(image("file:/a.png", 1, 2, 3, 30, 20, 10, 200, 50, 40), RGB_1X2));
        assertArrayEquals(new byte[] {7, 9}, bytes(image("g.png", 1, 2, 1, 7, 9), new ImageShape(1, 2, 1)));
        assertArrayEquals(new byte[] {3, 2, 1, 9}, bytes(image("a.png", 1, 1, 4, 1, 2, 3, 9), new ImageShape(1, 1, 4)),
                "BGRA -> RGBA, alpha kept");
    }

    @Test
    void wrongImagesAreNamed() {
        IllegalArgumentException size = assertThrows(IllegalArgumentException.class,
                () -> bytes(Vectors.dense(1, 2, 3), RGB_1X2));
        assertTrue(size.getMessage().contains("has 3 values; the ensemble's input 1x2x3 needs 6"), size.getMessage());
        IllegalArgumentException range = assertThrows(IllegalArgumentException.class,
                () -> bytes(Vectors.dense(1, 2, 3, 4, 5, 256), RGB_1X2));
        assertTrue(range.getMessage().contains("256.0, not a pixel value"), range.getMessage());
        IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                () -> bytes(image("file:/big.png", 2, 2, 3, new int[12]), RGB_1X2));
        assertTrue(shape.getMessage().contains("file:/big.png") && shape.getMessage().contains("2x2x3"), shape.getMessage());
        IllegalArgumentException type = assertThrows(IllegalArgumentException.class,
                () -> Pixels.check("features", DataTypes.StringType));
        assertTrue(type.getMessage().contains("column features is string"), type.getMessage());
        Pixels.check("features", SQLDataTypes.VectorType());
        Pixels.check("image", ImageSchema.columnSchema());
        Pixels.check("pixels", DataTypes.createArrayType(DataTypes.IntegerType));
    }
}
