package io.chorus.driver.predict;

import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import io.chorus.driver.spark.SerializableHadoopConf;
import io.chorus.worker.data.IdxReader;
import io.chorus.worker.data.ImageData;
import io.chorus.worker.data.ImageShape;

/**
 * Distributed scoring: a DataFrame of images in, the same rows with the ensemble's prediction, class
 * probabilities (an ML Vector) and uncertainty columns out. Each partition is scored in batches by
 * {@link EnsemblePredictor}, so every executor loads each network once.
 *
 * <p>Input rows carry the image in a {@code features} column: an ML Vector or an array of numbers, raw
 * values 0..255 in the layout of the IDX files (row-major, channels last), as many as the run's input
 * shape has, or a struct in Spark's image schema ({@link Pixels}); an optional {@code label} and any
 * other columns are passed through.
 */
public final class PredictJob {
    public static final String FEATURES = "features";
    public static final String LABEL = "label";

    private PredictJob() {
    }

    /**
     * Names of the input column and of the columns scoring adds.
     *
     * @param features           the image column (see {@link Pixels})
     * @param doublePrediction   the prediction as a double, as Spark ML's classifiers write it (else an int)
     */
    public record Columns(String features, String prediction, String probability, String predictiveEntropy,
                          String mutualInformation, String voteMargin, boolean doublePrediction) implements Serializable {
        /** What {@code chorus predict} reads and writes. */
        public static final Columns DEFAULT = new Columns(FEATURES, "prediction", "probability", "predictive_entropy",
                "mutual_information", "vote_margin", false);

        /** The columns scoring adds, in order. */
        public List<StructField> added() {
            return List.of(DataTypes.createStructField(prediction, doublePrediction ? DataTypes.DoubleType
                            : DataTypes.IntegerType, false),
                    DataTypes.createStructField(probability, SQLDataTypes.VectorType(), false),
                    DataTypes.createStructField(predictiveEntropy, DataTypes.DoubleType, false),
                    DataTypes.createStructField(mutualInformation, DataTypes.DoubleType, false),
                    DataTypes.createStructField(voteMargin, DataTypes.DoubleType, false));
        }

        /** {@code in} with the added columns; fails naming the column if the input lacks one or has one already. */
        public StructType outputSchema(StructType in) {
            Pixels.check(features, in.fields()[fieldIndex(in, features)].dataType());
            List<StructField> out = new ArrayList<>(List.of(in.fields()));
            for (StructField f : added()) {
                if (java.util.Arrays.asList(in.fieldNames()).contains(f.name())) {
                    throw new IllegalArgumentException("input already has a column named " + f.name());
                }
                out.add(f);
            }
            return DataTypes.createStructType(out);
        }
    }

    /** {@code input} with the prediction columns added. */
    public static Dataset<Row> score(SparkSession spark, Dataset<Row> input, EnsembleSpec spec, int batch,
                                     Configuration hadoop) {
        return score(spark, input, spec, batch, hadoop, Columns.DEFAULT);
    }

    /** {@code input} with the prediction columns named by {@code columns} added. */
    public static Dataset<Row> score(SparkSession spark, Dataset<Row> input, EnsembleSpec spec, int batch,
                                     Configuration hadoop, Columns columns) {
        return score(spark, input, spec, batch, hadoop, columns, null);
    }

    /**
     * {@code input} with the prediction columns added; the networks whose SHA-256 {@code networks} lists are
     * taken from it (sent to the executors as one broadcast) instead of their files. Null: every file is read.
     */
    public static Dataset<Row> score(SparkSession spark, Dataset<Row> input, EnsembleSpec spec, int batch,
                                     Configuration hadoop, Columns columns, java.util.Map<String, byte[]> networks) {
        StructType schema = columns.outputSchema(input.schema());
        int features = fieldIndex(input.schema(), columns.features());
        org.apache.spark.api.java.JavaSparkContext jsc = new org.apache.spark.api.java.JavaSparkContext(spark.sparkContext());
        Broadcast<EnsembleSpec> specB = jsc.broadcast(spec);
        Broadcast<SerializableHadoopConf> confB = jsc.broadcast(new SerializableHadoopConf(hadoop));
        Broadcast<java.util.HashMap<String, byte[]>> netsB = networks == null ? null
                : jsc.broadcast(new java.util.HashMap<>(networks));
        return input.mapPartitions(new ScorePartition(specB, confB, netsB, columns, features, batch), Encoders.row(schema));
    }

    private static int fieldIndex(StructType schema, String name) {
        for (int i = 0; i < schema.fields().length; i++) {
            if (schema.fields()[i].name().equals(name)) {
                return i;
            }
        }
        throw new IllegalArgumentException("input has no column named " + name + "; its columns are "
                + String.join(", ", schema.fieldNames()));
    }

    /** Scores one partition, a batch of rows at a time. */
    static final class ScorePartition implements MapPartitionsFunction<Row, Row>, Serializable {
        private static final long serialVersionUID = 1L;
        private final Broadcast<EnsembleSpec> spec;
        private final Broadcast<SerializableHadoopConf> conf;
        private final Broadcast<java.util.HashMap<String, byte[]>> networks;
        private final Columns columns;
        private final int features;
        private final int batch;

        ScorePartition(Broadcast<EnsembleSpec> spec, Broadcast<SerializableHadoopConf> conf,
                       Broadcast<java.util.HashMap<String, byte[]>> networks, Columns columns, int features, int batch) {
            this.spec = spec;
            this.conf = conf;
            this.networks = networks;
            this.columns = columns;
            this.features = features;
            this.batch = batch;
        }

        @Override
        public Iterator<Row> call(Iterator<Row> rows) {
            java.util.Map<String, byte[]> held = networks == null ? null : networks.value();
            if (held != null) {
                io.chorus.driver.eval.ModelStore.hold(held);
            }
            return new Iterator<>() {
                /** Keeps the held networks alive while this partition is scored. */
                private final java.util.Map<String, byte[]> keep = held;
                private final List<Row> pending = new ArrayList<>();
                private Iterator<Row> scored = java.util.Collections.emptyIterator();

                @Override
                public boolean hasNext() {
                    if (scored.hasNext()) {
                        return true;
                    }
                    pending.clear();
                    while (rows.hasNext() && pending.size() < batch) {
                        pending.add(rows.next());
                    }
                    if (pending.isEmpty()) {
                        return false;
                    }
                    try {
                        scored = scoreBatch(pending).iterator();
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                    return true;
                }

                @Override
                public Row next() {
                    if (!hasNext()) {
                        throw new java.util.NoSuchElementException();
                    }
                    return scored.next();
                }
            };
        }

        private List<Row> scoreBatch(List<Row> batchRows) throws IOException {
            EnsembleSpec s = spec.value();
            ImageShape shape = s.shape();
            int n = batchRows.size();
            byte[] hwc = new byte[n * shape.pixels()];
            for (int r = 0; r < n; r++) {
                Pixels.write(batchRows.get(r).get(features), shape, columns.features(), hwc, r * shape.pixels());
            }
            byte[] chw = shape.channels() == 1 ? hwc
                    : IdxReader.toChannelsFirst(hwc, n, shape.height(), shape.width(), shape.channels());
            ImageData images = new ImageData(shape, chw, new int[n], s.classes());
            EnsemblePredictor.Scores scores = EnsemblePredictor.score(s, images, 0, n, n, conf.value().get());
            List<Row> out = new ArrayList<>(n);
            for (int r = 0; r < n; r++) {
                Row row = batchRows.get(r);
                Object[] values = new Object[row.length() + 5];
                for (int c = 0; c < row.length(); c++) {
                    values[c] = row.get(c);
                }
                scored(scores, r, columns.doublePrediction(), values, row.length());
                out.add(RowFactory.create(values));
            }
            return out;
        }
    }

    /**
     * Scores every image of an IDX file without turning it into pixel rows: the images travel once per
     * executor as a broadcast, each task scores a range of them, and the rows are {@code (index, label)} plus
     * the prediction columns (the pixels stay in the IDX file; {@code index} is the image's position in it).
     */
    public static Dataset<Row> scoreIdx(SparkSession spark, ImageData images, EnsembleSpec spec, int batch,
                                        Configuration hadoop) {
        if (!images.shape().equals(spec.shape())) {
            throw new IllegalArgumentException("the images are " + images.shape() + "; the ensemble's input is " + spec.shape());
        }
        org.apache.spark.api.java.JavaSparkContext jsc = new org.apache.spark.api.java.JavaSparkContext(spark.sparkContext());
        int n = images.size();
        int tasks = Math.max(1, Math.min(2 * jsc.defaultParallelism(), (n + batch - 1) / batch));
        List<int[]> ranges = io.chorus.driver.scoring.Scoring.ranges(n, tasks, batch); // whole scoring batches
        Broadcast<ImageData> imagesB = jsc.broadcast(images);
        Broadcast<EnsembleSpec> specB = jsc.broadcast(spec);
        Broadcast<SerializableHadoopConf> confB = jsc.broadcast(new SerializableHadoopConf(hadoop));
        org.apache.spark.api.java.JavaRDD<Row> rows = jsc.parallelize(ranges, tasks)
                .flatMap(new ScoreRange(imagesB, specB, confB, batch));
        List<StructField> fields = new ArrayList<>(List.of(
                DataTypes.createStructField("index", DataTypes.LongType, false),
                DataTypes.createStructField(LABEL, DataTypes.IntegerType, false)));
        fields.addAll(Columns.DEFAULT.added());
        return spark.createDataFrame(rows, DataTypes.createStructType(fields));
    }

    /** Scores images {@code [from, to)} of the broadcast IDX file. */
    static final class ScoreRange implements org.apache.spark.api.java.function.FlatMapFunction<int[], Row> {
        private static final long serialVersionUID = 1L;
        private final Broadcast<ImageData> images;
        private final Broadcast<EnsembleSpec> spec;
        private final Broadcast<SerializableHadoopConf> conf;
        private final int batch;

        ScoreRange(Broadcast<ImageData> images, Broadcast<EnsembleSpec> spec, Broadcast<SerializableHadoopConf> conf,
                   int batch) {
            this.images = images;
            this.spec = spec;
            this.conf = conf;
            this.batch = batch;
        }

        @Override
        public Iterator<Row> call(int[] range) throws IOException {
            ImageData data = images.value();
            EnsemblePredictor.Scores s = EnsemblePredictor.score(spec.value(), data, range[0], range[1], batch,
                    conf.value().get());
            List<Row> out = new ArrayList<>(range[1] - range[0]);
            for (int i = range[0]; i < range[1]; i++) {
                int r = i - range[0];
                Object[] values = new Object[7];
                values[0] = (long) i;
                values[1] = data.labels()[i];
                scored(s, r, false, values, 2);
                out.add(RowFactory.create(values));
            }
            return out.iterator();
        }
    }

    /** Image {@code r}'s values of the added columns, written into {@code values} from {@code at} on. */
    private static void scored(EnsemblePredictor.Scores s, int r, boolean doublePrediction, Object[] values, int at) {
        int p = s.prediction()[r];
        values[at] = doublePrediction ? (Object) (double) p : (Object) p;
        values[at + 1] = Vectors.dense(s.probability()[r]);
        values[at + 2] = s.uncertainty().predictiveEntropy()[r];
        values[at + 3] = s.uncertainty().mutualInformation()[r];
        values[at + 4] = s.uncertainty().voteMargin()[r];
    }

    /** {@code [from, to)} ranges cutting {@code n} images into {@code tasks} nearly equal parts. */
    public static List<int[]> ranges(int n, int tasks) {
        List<int[]> ranges = new ArrayList<>();
        for (int t = 0; t < tasks; t++) {
            ranges.add(new int[] {(int) ((long) n * t / tasks), (int) ((long) n * (t + 1) / tasks)});
        }
        return ranges;
    }

    /**
     * A row of a Parquet input that cannot be scored, as {@link #firstBadRow} found it.
     *
     * @param file     the name of the Parquet file that holds it
     * @param row      its index in that file, from 0 (-1 when the reader does not say)
     * @param problem  what is wrong with its image and what was expected
     * @param refused  how many rows of the whole input cannot be scored
     */
    public record BadRow(String file, long row, String problem, long refused) implements Serializable {
        private static final java.util.Comparator<BadRow> ORDER = java.util.Comparator.comparing(BadRow::file)
                .thenComparingLong(BadRow::row);
    }

    /**
     * Reads every row's image of a Parquet {@code input} the way scoring reads it ({@link Pixels#write}: the
     * shape, finite values 0..255, no null image) in one Spark job, and returns the first row, by file name and
     * then row index in the file, that cannot be scored. Only one summary per partition reaches the driver,
     * never the data.
     */
    public static java.util.Optional<BadRow> firstBadRow(Dataset<Row> input, ImageShape shape, String features) {
        Dataset<Row> located = input.select(input.col("`" + features.replace("`", "``") + "`"),
                org.apache.spark.sql.functions.col("_metadata.file_name"),
                org.apache.spark.sql.functions.col("_metadata.row_index"));
        StructType found = DataTypes.createStructType(List.of(
                DataTypes.createStructField("file", DataTypes.StringType, false),
                DataTypes.createStructField("row", DataTypes.LongType, false),
                DataTypes.createStructField("problem", DataTypes.StringType, false),
                DataTypes.createStructField("refused", DataTypes.LongType, false)));
        List<Row> perPartition = located.mapPartitions(new FindBadRow(shape, features), Encoders.row(found))
                .collectAsList();
        long refused = perPartition.stream().mapToLong(r -> r.getLong(3)).sum();
        return perPartition.stream().map(r -> new BadRow(r.getString(0), r.getLong(1), r.getString(2), refused))
                .min(BadRow.ORDER);
    }

    /** The first row of a partition that {@link Pixels} refuses and how many it refuses, or nothing. */
    static final class FindBadRow implements MapPartitionsFunction<Row, Row>, Serializable {
        private static final long serialVersionUID = 1L;
        private final ImageShape shape;
        private final String features;

        FindBadRow(ImageShape shape, String features) {
            this.shape = shape;
            this.features = features;
        }

        @Override
        public Iterator<Row> call(Iterator<Row> rows) {
            byte[] scratch = new byte[shape.pixels()];
            BadRow first = null;
            long refused = 0;
            while (rows.hasNext()) {
                Row r = rows.next();
                try {
                    Pixels.write(r.get(0), shape, features, scratch, 0);
                } catch (IllegalArgumentException e) {
                    refused++;
                    BadRow bad = new BadRow(r.isNullAt(1) ? "?" : r.getString(1), r.isNullAt(2) ? -1 : r.getLong(2),
                            e.getMessage(), 0);
                    if (first == null || BadRow.ORDER.compare(bad, first) < 0) {
                        first = bad;
                    }
                }
            }
            return first == null ? java.util.Collections.emptyIterator()
                    : List.of(RowFactory.create(first.file(), first.row(), first.problem(), refused)).iterator();
        }
    }

    /**
     * Checks that {@code input}, a Parquet file or a directory of them, holds Parquet files only: every file Spark
     * would read (names starting with {@code _} or {@code .} are skipped, as Spark skips them) starts and ends with
     * the format's magic bytes {@code PAR1}. Reads eight bytes per file.
     *
     * @throws IllegalArgumentException naming the first file that is not Parquet, or saying that there is none
     */
    public static void checkParquetFiles(FileSystem fs, Path input) throws IOException {
        int files = 0;
        org.apache.hadoop.fs.RemoteIterator<org.apache.hadoop.fs.LocatedFileStatus> it = fs.listFiles(input, true);
        while (it.hasNext()) {
            org.apache.hadoop.fs.LocatedFileStatus f = it.next();
            if (hiddenFromSpark(input, f.getPath())) {
                continue;
            }
            files++;
            byte[] head = new byte[4];
            byte[] tail = new byte[4];
            long n = f.getLen();
            if (n >= 12) {
                try (org.apache.hadoop.fs.FSDataInputStream in = fs.open(f.getPath())) {
                    in.readFully(0, head);
                    in.readFully(n - 4, tail);
                }
            }
            byte[] magic = "PAR1".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            if (!java.util.Arrays.equals(head, magic) || !java.util.Arrays.equals(tail, magic)) {
                throw new IllegalArgumentException(f.getPath() + " is not a Parquet file (" + n + " bytes, without "
                        + "the PAR1 magic at its start and end); expected Parquet with a " + FEATURES + " column, or an "
                        + "IDX image file (a name with idx3-ubyte)");
            }
        }
        if (files == 0) {
            throw new IllegalArgumentException("holds no Parquet files; expected Parquet with a " + FEATURES
                    + " column, or an IDX image file (a name with idx3-ubyte)");
        }
    }

    /** Whether Spark's file listing skips {@code file} under {@code root} (a hidden or {@code _} name on the way). */
    private static boolean hiddenFromSpark(Path root, Path file) {
        for (Path p = file; p != null && !p.equals(root) && p.getParent() != null; p = p.getParent()) {
            String name = p.getName();
            if ((name.startsWith("_") && !name.contains("=")) || name.startsWith(".") || name.endsWith("._COPYING_")) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code path} names an IDX image file (plain or gzip). */
    public static boolean isIdx(Path path) {
        return path.getName().contains("idx3-ubyte");
    }

    /** The sibling labels file of an IDX image file, if it exists. */
    public static Path labelsOf(FileSystem fs, Path images) throws IOException {
        Path labels = new Path(images.getParent(), images.getName().replace("images-idx3", "labels-idx1"));
        return fs.exists(labels) ? labels : null;
    }
}
