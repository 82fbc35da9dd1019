package io.chorus.driver.ml;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataType;

import io.chorus.driver.predict.Pixels;

/**
 * The range of the features column: Chorus reads raw pixel values 0..255; a column scaled to [0, 1] (what
 * many image pipelines produce) is either declared with {@code featureRange = "0..1"} and multiplied by
 * 255 here, or, left undeclared, noticed on a sample and warned about (a network fed values 0..1 as if they
 * were 0..255 sees black images and predicts one class).
 */
final class Features {
    /** Rows whose largest value the range check looks at. */
    static final int SAMPLE = 100;
    /** Where transform keeps a scaled features column while the scaled-up copy is scored. */
    static final String ORIGINAL = "__chorus_features_as_given";

    private Features() {
    }

    /**
     * The warning for a column left at the default range whose largest value over the first {@link #SAMPLE}
     * rows is at most 1.0, or nothing (also for Spark's image schema, always 0..255, and for an empty column).
     */
    static Optional<String> rangeWarning(Dataset<?> dataset, String column, boolean rangeDeclared) {
        DataType type = dataset.schema().apply(column).dataType();
        if (rangeDeclared || Pixels.isImage(type)) {
            return Optional.empty();
        }
        List<Row> rows = dataset.select(quoted(column)).limit(SAMPLE).collectAsList();
        double max = Double.NEGATIVE_INFINITY;
        for (Row r : rows) {
            for (double x : values(r.get(0))) {
                max = Math.max(max, x);
            }
        }
        if (rows.isEmpty() || max > 1.0 || max == Double.NEGATIVE_INFINITY) {
            return Optional.empty();
        }
        return Optional.of(String.format(Locale.ROOT, "featuresCol: column %s looks scaled: its largest value over %d "
                + "row(s) is %s, but Chorus expects raw pixel values in the range %s; multiply by 255, or "
                + "setFeatureRange(\"%s\") to have Chorus do it", column, rows.size(), max,
                ChorusEnsembleParams.RANGE_255, ChorusEnsembleParams.RANGE_1));
    }

    /**
     * {@code dataset} with {@code column} in the range Chorus reads: as it is for {@code 0..255}, multiplied by
     * 255 for {@code 0..1} (a value outside [0, 1] is refused, naming the column).
     */
    static Dataset<Row> toPixelRange(Dataset<?> dataset, String column, String range) {
        if (!ChorusEnsembleParams.RANGE_1.equals(range)) {
            return dataset.toDF();
        }
        if (Pixels.isImage(dataset.schema().apply(column).dataType())) {
            throw new IllegalArgumentException("featureRange: " + range + ", but column " + column + " is in Spark's "
                    + "image schema, which holds 0..255; leave featureRange at " + ChorusEnsembleParams.RANGE_255);
        }
        UDF1<Object, Vector> scale = v -> Vectors.dense(scaled(v, column));
        return dataset.withColumn(column, functions.udf(scale, SQLDataTypes.VectorType()).apply(quoted(column)));
    }

    /** One value of the column scaled from [0, 1] to [0, 255]. */
    static double[] scaled(Object value, String column) {
        double[] x = values(value).clone();
        for (int i = 0; i < x.length; i++) {
            if (!(x[i] >= 0 && x[i] <= 1)) {
                throw new IllegalArgumentException("featuresCol: column " + column + " holds " + x[i] + ", outside "
                        + "featureRange " + ChorusEnsembleParams.RANGE_1);
            }
            x[i] *= 255;
        }
        return x;
    }

    private static double[] values(Object value) {
        if (value instanceof Vector v) {
            return v.toArray();
        }
        if (value instanceof scala.collection.Seq<?> seq) {
            double[] x = new double[seq.size()];
            for (int i = 0; i < x.length; i++) {
                x[i] = seq.apply(i) instanceof Number n ? n.doubleValue() : Double.NaN;
            }
            return x;
        }
        return new double[0];
    }

    private static org.apache.spark.sql.Column quoted(String column) {
        return functions.col("`" + column.replace("`", "``") + "`");
    }
}
