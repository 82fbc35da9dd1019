package io.chorus.driver.ml;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.feature.StringIndexer;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;

import io.chorus.driver.spark.SparkRunner;
import io.chorus.worker.data.DataFiles;
import io.chorus.worker.data.ImageData;

/**
 * Chorus in a Spark ML Pipeline, end to end on Fashion-MNIST: Spark's StringIndexer turns class names into
 * labels, a ChorusEnsembleClassifier trains the ensemble, and every combiner of the fitted model scores the
 * test images, measured by Spark's MulticlassClassificationEvaluator, with the mean mutual information of
 * right and wrong predictions and the transform's throughput (first call, then again with the networks
 * loaded). The fitted pipeline is saved, loaded back and checked to predict the same.
 *
 * <pre>
 * CHORUS_MAIN=io.chorus.driver.ml.FashionMnistPipeline scripts/chorus --run-dir runs/pipeline \
 *     [--data /usr/share/datasets/fashion-mnist] [--train-limit N] [--test-limit N] [--members N] [--epochs N]
 *     [--job-config YAML-TEXT] [--master local[2]] [--from-run RUN-DIR] [--combiners average,vote,...]
 * </pre>
 * {@code --from-run} skips training and takes an evaluated run directory as the model.
 */
public final class FashionMnistPipeline {
    static final String[] NAMES = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
        "Bag", "Ankle boot"};

    private FashionMnistPipeline() {
    }

    public static void main(String[] args) throws IOException {
        String data = "/usr/share/datasets/fashion-mnist";
        String runDir = null;
        String fromRun = null;
        String master = null;
        String jobConfig = "data:\n  validation: 5000\nswa:\n  start: 0.4\n  every: 1\nheads:\n  count: 4\n";
        String combiners = null;
        int trainLimit = 0;
        int testLimit = 0;
        int members = 3;
        int epochs = 2;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--data" -> data = args[++i];
                case "--run-dir" -> runDir = args[++i];
                case "--from-run" -> fromRun = args[++i];
                case "--master" -> master = args[++i];
                case "--job-config" -> jobConfig = args[++i];
                case "--combiners" -> combiners = args[++i];
                case "--train-limit" -> trainLimit = Integer.parseInt(args[++i]);
                case "--test-limit" -> testLimit = Integer.parseInt(args[++i]);
                case "--members" -> members = Integer.parseInt(args[++i]);
                case "--epochs" -> epochs = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (runDir == null && fromRun == null) {
            throw new IllegalArgumentException("--run-dir DIR (under which fit writes its run) or --from-run RUN-DIR is needed");
        }
        Configuration conf = new Configuration();
        try (SparkSession spark = SparkSession.builder().config(SparkRunner.baseConf("chorus pipeline example", master))
                .getOrCreate()) {
            ImageData test = DataFiles.loadTest(data, 10, conf);
            if (testLimit > 0) {
                test = test.limit(testLimit);
            }
            Dataset<Row> testFrame = frame(spark, test).cache();
            testFrame.count();

            PipelineModel pipeline = null;
            ChorusEnsembleModel model;
            if (fromRun == null) {
                ImageData train = DataFiles.loadTrain(data, 10, conf);
                if (trainLimit > 0) {
                    train = train.limit(trainLimit);
                }
                ChorusEnsembleClassifier chorus = new ChorusEnsembleClassifier().setRunDir(runDir).setMembers(members)
                        .setEpochs(epochs).setJobConfig(jobConfig);
                long t0 = System.nanoTime();
                pipeline = new Pipeline().setStages(new PipelineStage[] {
                    new StringIndexer().setInputCol("name").setOutputCol("label").setStringOrderType("alphabetAsc"),
                    chorus}).fit(frame(spark, train));
                System.out.printf(Locale.ROOT, "fit: %d images, %d members x %d epochs in %.1f s -> %s%n", train.size(),
                        members, epochs, (System.nanoTime() - t0) / 1e9, ((ChorusEnsembleModel) pipeline.stages()[1]).getRunDir());
                model = (ChorusEnsembleModel) pipeline.stages()[1];
            } else {
                model = ChorusEnsembleModel.load(fromRun);
                System.out.println("model: " + model);
            }
            // A run loaded as it is was trained on Fashion-MNIST's own label indexes, not on the indexer's.
            Dataset<Row> input = fromRun == null ? testFrame : testFrame.withColumn("label",
                    org.apache.spark.sql.functions.col("fashion_label").cast("double"));
            Transformer scorer = fromRun == null ? pipeline : model;
            MulticlassClassificationEvaluator accuracy = new MulticlassClassificationEvaluator().setMetricName("accuracy");
            System.out.println("combiner    accuracy  MI right  MI wrong  first s  again s  rows/s (again)");
            List<String> which = combiners == null ? model.combiners() : List.of(combiners.split(","));
            for (String c : which) {
                model.setCombiner(c);
                double[] seconds = new double[2];
                Dataset<Row> scored = null;
                for (int pass = 0; pass < 2; pass++) {
                    long t0 = System.nanoTime();
                    scored = scorer.transform(input).cache();
                    scored.count();
                    seconds[pass] = (System.nanoTime() - t0) / 1e9;
                    if (pass == 0) {
                        scored.unpersist();
                    }
                }
                Row mi = scored.selectExpr("avg(CASE WHEN prediction = label THEN mutual_information END)",
                        "avg(CASE WHEN prediction != label THEN mutual_information END)").first();
                System.out.printf(Locale.ROOT, "%-10s  %.4f    %.4f    %.4f    %6.2f   %6.2f   %,.0f%n", c,
                        accuracy.evaluate(scored), mi.isNullAt(0) ? Double.NaN : mi.getDouble(0),
                        mi.isNullAt(1) ? Double.NaN : mi.getDouble(1), seconds[0], seconds[1], test.size() / seconds[1]);
                scored.unpersist();
            }
            if (fromRun == null) {
                String saved = runDir + "-pipeline";
                model.setCombiner("average"); // saved with the model, like every parameter
                pipeline.write().overwrite().save(saved);
                PipelineModel loaded = PipelineModel.load(saved);
                long differ = pipeline.transform(testFrame).select("index", "prediction").except(
                        loaded.transform(testFrame).select("index", "prediction")).count();
                System.out.printf(Locale.ROOT, "saved to %s and loaded back: %d of %d predictions differ%n", saved, differ,
                        test.size());
            }
        }
    }

    /** Rows (index, name, fashion_label, features) built on the executors from a broadcast of the images. */
    static Dataset<Row> frame(SparkSession spark, ImageData images) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        int n = images.size();
        int tasks = Math.max(1, Math.min(2 * jsc.defaultParallelism(), n / 1000 + 1));
        List<int[]> ranges = io.chorus.driver.predict.PredictJob.ranges(n, tasks);
        return spark.createDataFrame(jsc.parallelize(ranges, tasks).flatMap(new Rows(jsc.broadcast(images))),
                DataTypes.createStructType(List.of(
                        DataTypes.createStructField("index", DataTypes.LongType, false),
                        DataTypes.createStructField("name", DataTypes.StringType, false),
                        DataTypes.createStructField("fashion_label", DataTypes.IntegerType, false),
                        DataTypes.createStructField("features", SQLDataTypes.VectorType(), false))));
    }

    private static final class Rows implements FlatMapFunction<int[], Row> {
        private static final long serialVersionUID = 1L;
        private final Broadcast<ImageData> images;

        Rows(Broadcast<ImageData> images) {
            this.images = images;
        }

        @Override
        public Iterator<Row> call(int[] range) {
            ImageData d = images.value();
            int per = d.shape().pixels();
            List<Row> rows = new ArrayList<>(range[1] - range[0]);
            for (int i = range[0]; i < range[1]; i++) {
                double[] v = new double[per];
                for (int k = 0; k < per; k++) {
                    v[k] = d.pixels()[i * per + k] & 0xff;
                }
                rows.add(RowFactory.create((long) i, NAMES[d.labels()[i]], d.labels()[i], Vectors.dense(v)));
            }
            return rows.iterator();
        }
    }
}
