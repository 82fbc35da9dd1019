import java.util.List;

import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Compares two outputs of {@code chorus predict} on the same IDX file, row by row (joined on the image's
 * index): the largest absolute difference of any class probability and how many predicted classes differ.
 * Exits 1 when a probability differs by more than the tolerance, or the outputs do not cover the same images.
 * <pre>java -cp CHORUS_CPU_JAR:SPARK_CLASSPATH bench/gpu-smoke.d/ComparePredictions.java A B TOLERANCE</pre>
 */
public class ComparePredictions {
    public static void main(String[] args) {
        double tolerance = Double.parseDouble(args[2]);
        int code;
        SparkSession spark = SparkSession.builder().master("local[1]").appName("compare predictions")
                .config("spark.ui.enabled", "false").getOrCreate();
        try {
            Dataset<Row> a = spark.read().parquet(args[0]).select("index", "prediction", "probability");
            Dataset<Row> b = spark.read().parquet(args[1]).select("index", "prediction", "probability")
                    .withColumnRenamed("prediction", "prediction_b").withColumnRenamed("probability", "probability_b");
            long rowsA = a.count();
            long rowsB = b.count();
            List<Row> joined = a.join(b, "index").collectAsList();
            double worst = 0;
            long differentClass = 0;
            for (Row r : joined) {
                Vector p = r.getAs("probability");
                Vector q = r.getAs("probability_b");
                if (p.size() != q.size()) {
                    throw new IllegalStateException("row " + r.getAs("index") + ": " + p.size() + " classes vs " + q.size());
                }
                for (int k = 0; k < p.size(); k++) {
                    worst = Math.max(worst, Math.abs(p.apply(k) - q.apply(k)));
                }
                if (!r.getAs("prediction").equals(r.getAs("prediction_b"))) {
                    differentClass++;
                }
            }
            boolean same = rowsA == rowsB && joined.size() == rowsA && rowsA > 0;
            System.out.printf(java.util.Locale.ROOT, "%d images (%d and %d rows): largest probability difference %.3g "
                    + "(tolerance %.0e), %d predicted classes differ%n", joined.size(), rowsA, rowsB, worst, tolerance,
                    differentClass);
            code = same && worst <= tolerance ? 0 : 1;
        } finally {
            spark.stop();
        }
        System.exit(code);
    }
}
