package io.chorus.driver.ml;

import java.io.IOException;
import java.util.Arrays;
import java.util.Locale;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.tuning.CrossValidator;
import org.apache.spark.ml.tuning.CrossValidatorModel;
import org.apache.spark.ml.tuning.ParamGridBuilder;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

import io.chorus.driver.spark.SparkRunner;
import io.chorus.worker.data.DataFiles;
import io.chorus.worker.data.ImageData;

/**
 * Tuning a Chorus ensemble with Spark's CrossValidator on Fashion-MNIST: a grid over the number of members,
 * k folds fitted {@code --parallelism} at a time, each fit a run of its own under {@code --run-dir}; prints
 * every parameter map's mean accuracy over the folds, the chosen one, its accuracy on the test images, and
 * the time each step took.
 *
 * <pre>
 * CHORUS_MAIN=io.chorus.driver.ml.FashionMnistTuning scripts/chorus --run-dir runs/tuning \
 *     [--data /usr/share/datasets/fashion-mnist] [--train-limit 3000] [--test-limit 1000] [--members 1,3]
 *     [--epochs 2] [--folds 2] [--parallelism 2] [--master local[2]]
 * </pre>
 */
public final class FashionMnistTuning {
    private FashionMnistTuning() {
    }

    public static void main(String[] args) throws IOException {
        String data = "/usr/share/datasets/fashion-mnist";
        String runDir = null;
        String master = null;
        int trainLimit = 3000;
        int testLimit = 1000;
        int[] members = {1, 3};
        int epochs = 2;
        int folds = 2;
        int parallelism = 2;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--data" -> data = args[++i];
                case "--run-dir" -> runDir = args[++i];
                case "--master" -> master = args[++i];
                case "--train-limit" -> trainLimit = Integer.parseInt(args[++i]);
                case "--test-limit" -> testLimit = Integer.parseInt(args[++i]);
                case "--members" -> members = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
                case "--epochs" -> epochs = Integer.parseInt(args[++i]);
                case "--folds" -> folds = Integer.parseInt(args[++i]);
                case "--parallelism" -> parallelism = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (runDir == null) {
            throw new IllegalArgumentException("--run-dir DIR (the parent directory of every fit's run) is needed");
        }
        Configuration conf = new Configuration();
        try (SparkSession spark = SparkSession.builder().config(SparkRunner.baseConf("chorus tuning example", master))
                .getOrCreate()) {
            ImageData train = DataFiles.loadTrain(data, 10, conf).limit(trainLimit);
            ImageData test = DataFiles.loadTest(data, 10, conf).limit(testLimit);
            Dataset<Row> trainFrame = labelled(FashionMnistPipeline.frame(spark, train));
            Dataset<Row> testFrame = labelled(FashionMnistPipeline.frame(spark, test));

            ChorusEnsembleClassifier chorus = new ChorusEnsembleClassifier().setRunDir(runDir).setEpochs(epochs)
                    .setSeed(42).setJobConfig("train:\n  batch: 64\nreport:\n  enabled: false\n");
            ParamMap[] grid = new ParamGridBuilder().addGrid(chorus.members(), members).build();
            CrossValidator cv = new CrossValidator().setEstimator(chorus).setEstimatorParamMaps(grid)
                    .setEvaluator(new MulticlassClassificationEvaluator().setMetricName("accuracy"))
                    .setNumFolds(folds).setParallelism(parallelism).setSeed(42);
            long t0 = System.nanoTime();
            CrossValidatorModel model = cv.fit(trainFrame);
            double fitSeconds = (System.nanoTime() - t0) / 1e9;
            System.out.printf(Locale.ROOT, "CrossValidator: %d images, %d folds x %d parameter maps (+ the refit), "
                    + "parallelism %d, %d epoch(s): %.1f s%n", train.size(), folds, grid.length, parallelism, epochs,
                    fitSeconds);
            for (int i = 0; i < grid.length; i++) {
                System.out.printf(Locale.ROOT, "  members=%d  mean accuracy over the folds %.4f%n",
                        (Integer) grid[i].apply(chorus.members()), model.avgMetrics()[i]);
            }
            ChorusEnsembleModel best = (ChorusEnsembleModel) model.bestModel();
            t0 = System.nanoTime();
            double accuracy = new MulticlassClassificationEvaluator().setMetricName("accuracy")
                    .evaluate(model.transform(testFrame));
            System.out.printf(Locale.ROOT, "best: members=%d (run %s); accuracy on %d test images %.4f (%.1f s)%n",
                    best.getMembers(), best.getRunDir(), test.size(), accuracy, (System.nanoTime() - t0) / 1e9);
            System.out.println("  " + best);
        }
    }

    private static Dataset<Row> labelled(Dataset<Row> frame) {
        return frame.withColumn("label", functions.col("fashion_label").cast("double")).cache();
    }
}
