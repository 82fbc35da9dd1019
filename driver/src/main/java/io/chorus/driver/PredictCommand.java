package io.chorus.driver;

import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;

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

/**
 * {@code chorus predict <run-dir> --input <path> --output <path> [--ensemble NAME]}: scores images with
 * one ensemble of an evaluated run on Spark and writes Parquet: the input's columns (for an IDX file: the
 * image's index in it and its label) plus prediction, probability (ML Vector), predictive_entropy,
 * mutual_information and vote_margin.
 */
final class PredictCommand {
    static final Options OPTIONS = new Options("predict", "Scores images with one ensemble of an evaluated run on Spark "
            + "and writes Parquet: the input's columns, prediction, probability and the uncertainty columns.", 1, "run-dir")
            .value("--input", "PATH", "an IDX images file (its labels file beside it) or Parquet with a features column")
            .value("--output", "PATH", "where the Parquet output goes")
            .value("--ensemble", "NAME", "average, vote, swa, heads, snapshot, selection or a model of the run (default average)")
            .value("--batch", "N", "images per forward pass (default 256)")
            .flag("--overwrite", "replaces an earlier output of chorus predict")
            .value("--master", "URL", "the Spark master (default spark.master, else local[*])")
            .repeated("--conf", "spark.key=value", "a Spark setting, as spark-submit takes it");
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
        Map<String, String> conf = p.sparkConf();
        if (input == null || output == null) {
            throw new BadInputException("predict needs --input and --output\n" + OPTIONS.usage());
        }
        CliArgs.applySparkHadoop(hadoop, conf);
        Path runDir = HadoopFiles.qualify(HadoopFiles.path(runDirArg), hadoop);
        FileSystem fs = HadoopFiles.fileSystem(runDir, hadoop);
        EnsembleSpec spec;
        try {
            spec = EnsembleSpec.read(fs, runDir, ensemble);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(e.getMessage(), e);
        }
        Path in = HadoopFiles.qualify(HadoopFiles.path(input), hadoop);
        Path outPath = HadoopFiles.qualify(HadoopFiles.path(output), hadoop);
        FileSystem inFs = HadoopFiles.fileSystem(in, hadoop);
        if (!inFs.exists(in)) {
            throw new BadInputException("--input " + input + " does not exist");
        }
        if (!overwrite && HadoopFiles.fileSystem(outPath, hadoop).exists(outPath)) {
            throw new BadInputException("--output " + output + " exists; add --overwrite to replace it");
        }
        ImageData idx = null;
        if (PredictJob.isIdx(in)) {
            Path labels = PredictJob.labelsOf(inFs, in);
            if (labels == null) {
                throw new BadInputException("--input " + input + ": an IDX image file needs its labels file beside it "
                        + "(unlabelled images: use Parquet with a features column)");
            }
            try {
                idx = IdxReader.read(in.toString(), labels.toString(), spec.classes(), hadoop);
            } catch (IOException e) {
                throw new BadInputException("--input " + input + ": " + e.getMessage(), e);
            }
        }

        SparkConf sc = io.chorus.driver.spark.SparkRunner.baseConf("chorus predict " + runDir.getName(), master);
        conf.forEach(sc::set);
        try (SparkSession spark = SparkSession.builder().config(sc).getOrCreate()) {
            long t0 = System.nanoTime(); // the Spark session's start is not scoring
            Dataset<Row> scored;
            try {
                scored = idx != null ? PredictJob.scoreIdx(spark, idx, spec, batch, hadoop)
                        : PredictJob.score(spark, spark.read().parquet(in.toString()), spec, batch, hadoop);
            } catch (IllegalArgumentException e) {
                throw new BadInputException("--input " + input + ": " + e.getMessage(), e);
            }
            scored.write().mode(overwrite ? SaveMode.Overwrite : SaveMode.ErrorIfExists).parquet(outPath.toString());
            long n = spark.read().parquet(outPath.toString()).count();
            double seconds = (System.nanoTime() - t0) / 1e9;
            out.printf(java.util.Locale.ROOT, "chorus: predict: %d rows scored with %s (%d model(s)) in %.1f s "
                    + "(%.0f rows/s, reading input to Parquet written) -> %s%n", n, ensemble, spec.models().size(),
                    seconds, n / seconds, outPath);
        }
        return ExitCode.SUCCESS;
    }
}
