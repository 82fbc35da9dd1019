package io.chorus.driver;

import java.io.IOException;
import java.io.PrintStream;
import java.util.LinkedHashMap;
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
    static final String USAGE = "usage: chorus predict <run-dir> --input <idx-images-file | parquet> --output <parquet> "
            + "[--ensemble average|vote|swa|heads|snapshot|selection|<name>] [--batch N] [--overwrite] "
            + "[--master URL] [--conf spark.key=value ...]";
    private final Configuration hadoop;
    private final PrintStream out;

    PredictCommand(Configuration hadoop, PrintStream out) {
        this.hadoop = hadoop;
        this.out = out;
    }

    ExitCode run(List<String> args) throws IOException, BadInputException {
        String runDirArg = null;
        String input = null;
        String output = null;
        String ensemble = "average";
        String master = null;
        int batch = 256;
        boolean overwrite = false;
        Map<String, String> conf = new LinkedHashMap<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            switch (a) {
                case "--input" -> input = CliArgs.value(args, ++i, a, USAGE);
                case "--output" -> output = CliArgs.value(args, ++i, a, USAGE);
                case "--ensemble" -> ensemble = CliArgs.value(args, ++i, a, USAGE);
                case "--master" -> master = CliArgs.value(args, ++i, a, USAGE);
                case "--batch" -> {
                    String v = CliArgs.value(args, ++i, a, USAGE);
                    try {
                        batch = Integer.parseInt(v);
                    } catch (NumberFormatException e) {
                        batch = 0;
                    }
                    if (batch < 1) {
                        throw new BadInputException("--batch " + v + ": expected a positive integer");
                    }
                }
                case "--overwrite" -> overwrite = true;
                case "--conf" -> CliArgs.sparkConf(CliArgs.value(args, ++i, a, USAGE), conf, USAGE);
                default -> {
                    if (a.startsWith("-") || runDirArg != null) {
                        throw new BadInputException("unexpected argument " + a + "\n" + USAGE);
                    }
                    runDirArg = a;
                }
            }
        }
        if (runDirArg == null || input == null || output == null) {
            throw new BadInputException("predict needs a run directory, --input and --output\n" + USAGE);
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
