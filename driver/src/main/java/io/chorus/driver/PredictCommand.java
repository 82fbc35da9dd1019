package io.chorus.driver;

import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

import io.chorus.driver.predict.EnsembleSpec;
import io.chorus.driver.predict.PredictJob;
import io.chorus.worker.data.IdxReader;
import io.chorus.worker.data.ImageData;
import io.chorus.worker.fs.HadoopFiles;
import io.chorus.worker.fs.Json;

/**
 * {@code chorus predict <run-dir> --input <path> --output <path> [--ensemble NAME] [--calibrated]}: scores
 * images with one ensemble of an evaluated run on Spark and writes Parquet: the input's columns (for an IDX
 * file: the image's index in it and its label) plus prediction, probability (ML Vector), predictive_entropy,
 * mutual_information and vote_margin. With {@code --calibrated} the probabilities are scaled with the
 * temperature the evaluation fitted for that ensemble, which {@link #MARKER} records.
 */
final class PredictCommand {
    static final Options OPTIONS = new Options("predict", "Scores images with one ensemble of an evaluated run on Spark "
            + "and writes Parquet: the input's columns, prediction, probability and the uncertainty columns.", 1, "run-dir")
            .value("--input", "PATH", "an IDX images file (its labels file beside it) or Parquet with a features column")
            .value("--output", "PATH", "where the Parquet output goes")
            .value("--ensemble", "NAME", "average, vote, swa, heads, snapshot, selection or a model of the run (default average)")
            .value("--batch", "N", "images per forward pass (default 256)")
            .flag("--calibrated", "scales the ensemble's probabilities with the temperature its evaluation fitted on "
                    + "the validation split (eval/metrics.json); predictions do not change")
            .flag("--overwrite", "replaces an earlier output of chorus predict")
            .value("--master", "URL", "the Spark master (default spark.master, else local[*])")
            .repeated("--conf", "spark.key=value", "a Spark setting, as spark-submit takes it");
    /** The file every output of chorus predict holds: what wrote it, and the only sign --overwrite accepts. */
    static final String MARKER = "_chorus_predict.json";
    private final Configuration hadoop;
    private final PrintStream out;

    PredictCommand(Configuration hadoop, PrintStream out) {
        this.hadoop = hadoop;
        this.out = out;
    }

    ExitCode run(List<String> args) throws IOException, BadInputException {
        Options.Parsed p = OPTIONS.parse(args);
        String runDirArg = p.positional(0);
        String input = p.get("--input");
        String output = p.get("--output");
        String ensemble = p.get("--ensemble", "average");
        String master = p.get("--master");
        int batch = p.positiveInt("--batch", 256);
        boolean overwrite = p.has("--overwrite");
        boolean calibrated = p.has("--calibrated");
        Map<String, String> conf = p.sparkConf();
        if (input == null || output == null) {
            throw new BadInputException("predict needs --input and --output\n" + OPTIONS.usage());
        }
        CliArgs.applySparkHadoop(hadoop, conf);
        Path runDir = HadoopFiles.qualify(HadoopFiles.path(runDirArg), hadoop);
        Path in = HadoopFiles.qualify(HadoopFiles.path(input), hadoop);
        Path outPath = HadoopFiles.qualify(HadoopFiles.path(output), hadoop);
        if (HadoopFiles.isWithin(outPath, in, hadoop)) {
            throw new BadInputException("--output " + output + " is " + (HadoopFiles.isWithin(in, outPath, hadoop)
                    ? "the input" : "inside --input " + input) + "; choose an --output outside the input");
        }
        if (HadoopFiles.isWithin(in, outPath, hadoop)) {
            throw new BadInputException("--input " + input + " is inside --output " + output
                    + "; choose an --output that does not hold the input");
        }
        FileSystem fs = HadoopFiles.fileSystem(runDir, hadoop);
        EnsembleSpec spec;
        try {
            spec = EnsembleSpec.read(fs, runDir, ensemble);
            spec = calibrated ? spec.calibrated() : spec;
        } catch (IllegalArgumentException e) {
            throw new BadInputException(e.getMessage(), e);
        }
        FileSystem inFs = HadoopFiles.fileSystem(in, hadoop);
        if (!inFs.exists(in)) {
            throw new BadInputException("--input " + input + " does not exist");
        }
        FileSystem outFs = HadoopFiles.fileSystem(outPath, hadoop);
        checkReplaceable(outFs, outPath, output, overwrite);
        try {
            spec.verifyFiles(hadoop);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(e.getMessage(), e);
        }
        ImageData idx = PredictJob.isIdx(in) ? readIdx(inFs, in, input, spec) : null;
        if (idx == null) {
            try {
                PredictJob.checkParquetFiles(inFs, in);
            } catch (IllegalArgumentException e) {
                throw new BadInputException("--input " + input + ": " + e.getMessage(), e);
            }
        }

        SparkConf sc = io.chorus.driver.spark.SparkRunner.baseConf("chorus predict " + runDir.getName(), master);
        conf.forEach(sc::set);
        try (SparkSession spark = SparkSession.builder().config(sc).getOrCreate()) {
            long t0 = System.nanoTime(); // the Spark session's start is not scoring
            Dataset<Row> scored = idx != null ? PredictJob.scoreIdx(spark, idx, spec, batch, hadoop)
                    : PredictJob.score(spark, validParquet(spark, in, input, spec), spec, batch, hadoop);
            Map<String, Object> provenance = new LinkedHashMap<>();
            provenance.put("run", runDir.toString());
            provenance.put("ensemble", ensemble);
            provenance.put("combiner", spec.combiner().name());
            provenance.put("calibrated", spec.isCalibrated());
            if (spec.isCalibrated()) {
                provenance.put("temperature", spec.appliedTemperature());
            }
            provenance.put("models", spec.models().stream().map(EnsembleSpec.Model::id).toList());
            provenance.put("input", in.toString());
            long n = write(spark, scored, outFs, outPath, provenance);
            double seconds = (System.nanoTime() - t0) / 1e9;
            out.printf(java.util.Locale.ROOT, "chorus: predict: %d rows scored with %s (%d model(s)%s) in %.1f s "
                    + "(%.0f rows/s, reading input to Parquet written) -> %s%n", n, ensemble, spec.models().size(),
                    spec.isCalibrated() ? ", temperature-scaled with T = " + spec.appliedTemperature() : "",
                    seconds, n / seconds, outPath);
        }
        return ExitCode.SUCCESS;
    }

    /**
     * Refuses an existing {@code outPath} unless {@code overwrite} is given and it is a previous output of
     * chorus predict (a directory with {@link #MARKER}): what Chorus did not write, it does not replace.
     */
    private static void checkReplaceable(FileSystem fs, Path outPath, String output, boolean overwrite)
            throws IOException, BadInputException {
        if (!fs.exists(outPath)) {
            return;
        }
        if (!overwrite) {
            throw new BadInputException("--output " + output + " exists; add --overwrite to replace it");
        }
        Path marker = new Path(outPath, MARKER);
        boolean ours = fs.getFileStatus(outPath).isDirectory() && fs.exists(marker);
        if (ours) {
            try {
                ours = Json.MAPPER.readTree(HadoopFiles.readAll(fs, marker)).has("run");
            } catch (IOException e) {
                ours = false;
            }
        }
        if (!ours) {
            throw new BadInputException("--output " + output + " exists and was not written by chorus predict (it has "
                    + "no valid " + MARKER + "); remove it yourself or choose another --output");
        }
    }

    /** The IDX images at {@code in} with their labels, read and checked against the ensemble's input. */
    private ImageData readIdx(FileSystem inFs, Path in, String input, EnsembleSpec spec)
            throws IOException, BadInputException {
        Path labels = PredictJob.labelsOf(inFs, in);
        if (labels == null) {
            throw new BadInputException("--input " + input + ": an IDX image file needs its labels file beside it "
                    + "(unlabelled images: use Parquet with a features column)");
        }
        ImageData idx;
        try {
            idx = IdxReader.read(in.toString(), labels.toString(), spec.classes(), hadoop);
        } catch (IOException e) {
            throw new BadInputException("--input " + input + ": " + e.getMessage(), e);
        }
        if (!idx.shape().equals(spec.shape())) {
            throw new BadInputException("--input " + input + ": the images are " + idx.shape() + "; the ensemble "
                    + spec.name() + " was trained on " + spec.shape());
        }
        return idx;
    }

    /**
     * The Parquet input, after its schema and every row's image have been checked (one Spark job; only a
     * summary of the bad rows reaches the driver).
     */
    private static Dataset<Row> validParquet(SparkSession spark, Path in, String input, EnsembleSpec spec)
            throws BadInputException {
        PredictJob.Columns columns = PredictJob.Columns.DEFAULT;
        try {
            Dataset<Row> rows = spark.read().parquet(in.toString());
            columns.outputSchema(rows.schema());
            Optional<PredictJob.BadRow> bad = PredictJob.firstBadRow(rows, spec.shape(), columns.features());
            if (bad.isPresent()) {
                PredictJob.BadRow b = bad.get();
                throw new BadInputException(String.format(java.util.Locale.ROOT, "--input %s: row %d of %s: %s (%d "
                        + "row(s) of the input cannot be scored; nothing was written)", input, b.row(), b.file(),
                        b.problem(), b.refused()));
            }
            return rows;
        } catch (BadInputException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new BadInputException("--input " + input + ": " + e.getMessage(), e);
        } catch (Exception e) {
            if (e instanceof org.apache.spark.sql.AnalysisException) {
                throw new BadInputException("--input " + input + " cannot be read as Parquet: " + firstLine(e), e);
            }
            Throwable unreadable = unreadableParquet(e);
            if (unreadable != null) {
                throw new BadInputException("--input " + input + " cannot be read as Parquet: " + firstLine(unreadable)
                        + " (" + firstLine(rootCause(e)) + ")", e);
            }
            throw e;
        }
    }

    /** Spark error classes of a file the reader cannot read (a corrupt footer or data page). */
    private static final java.util.Set<String> UNREADABLE = java.util.Set.of("CANNOT_READ_FILE_FOOTER",
            "_LEGACY_ERROR_TEMP_2064");

    /**
     * The exception, among {@code e}'s causes, that says the Parquet reader could not read a file (as opposed to
     * the cluster failing), or null.
     */
    private static Throwable unreadableParquet(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String name = t.getClass().getName();
            if ((t instanceof org.apache.spark.SparkThrowable st && st.getErrorClass() != null
                    && UNREADABLE.contains(st.getErrorClass()))
                    || name.startsWith("org.apache.parquet.") || name.endsWith("SchemaColumnConvertNotSupportedException")) {
                return t;
            }
        }
        return null;
    }

    private static Throwable rootCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t;
    }

    /** The first line of a message, without the advice Spark appends. */
    private static String firstLine(Throwable t) {
        String m = String.valueOf(t.getMessage());
        int cut = m.indexOf('\n');
        m = cut < 0 ? m : m.substring(0, cut);
        cut = m.indexOf(" Please ensure");
        return cut < 0 ? m : m.substring(0, cut);
    }

    /**
     * Writes {@code scored} into a staging directory beside {@code outPath}, adds {@link #MARKER}, and only then
     * puts it in the place of {@code outPath}; on any failure the staging directory (and any parent directory
     * made for it) is removed and {@code outPath} is as it was.
     *
     * @return the rows written
     */
    private static long write(SparkSession spark, Dataset<Row> scored, FileSystem fs, Path outPath,
                              Map<String, Object> provenance) throws IOException {
        List<Path> made = new ArrayList<>();
        for (Path p = outPath.getParent(); p != null && !fs.exists(p); p = p.getParent()) {
            made.add(p);
        }
        Path staging = new Path(outPath.getParent(), "." + outPath.getName() + ".chorus-staging-"
                + UUID.randomUUID().toString().substring(0, 8));
        try {
            scored.write().mode(SaveMode.ErrorIfExists).parquet(staging.toString());
            long n = spark.read().parquet(staging.toString()).count();
            Map<String, Object> marker = new LinkedHashMap<>(provenance);
            marker.put("rows", n);
            HadoopFiles.writeAtomically(fs, new Path(staging, MARKER), Json.write(marker));
            HadoopFiles.replaceDirectory(fs, staging, outPath);
            return n;
        } catch (IOException | RuntimeException e) {
            try {
                if (fs.exists(staging)) {
                    fs.delete(staging, true);
                }
                for (Path p : made) { // deepest first; only directories made here and left empty
                    fs.delete(p, false);
                }
            } catch (IOException | RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }
}

