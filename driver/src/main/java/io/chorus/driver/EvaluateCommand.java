package io.chorus.driver;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import io.chorus.driver.config.ConfigException;
import io.chorus.driver.config.JobConfig;
import io.chorus.driver.eval.EnsembleReport;
import io.chorus.driver.eval.EvaluateJob;
import io.chorus.driver.run.InProcessRunner;
import io.chorus.driver.run.MemberRunner;
import io.chorus.driver.spark.SparkRunner;
import io.chorus.worker.fs.HadoopFiles;

/**
 * {@code chorus evaluate <run-dir>}: evaluates a trained run on Spark (see {@link EvaluateJob}).
 * {@code --offline} only rebuilds eval/metrics.json from eval/models.json and the probability files,
 * without data, Spark or networks.
 */
final class EvaluateCommand {
    static final String USAGE = "usage: chorus evaluate <run-dir> [--data DIR] [--set key=value ...] "
            + "[--master URL | --master in-process] [--conf spark.key=value ...] [--offline]";
    /** Key prefixes --set may change: how the run is evaluated, never how it was trained. */
    static final List<String> EVALUATION_KEYS = List.of("evaluate.", "ensemble.", "heads.", "mc_dropout.");
    private final Configuration hadoop;
    private final PrintStream out;

    EvaluateCommand(Configuration hadoop, PrintStream out) {
        this.hadoop = hadoop;
        this.out = out;
    }

    ExitCode run(List<String> args) throws IOException, BadInputException {
        String runDirArg = null;
        String data = null;
        String master = null;
        boolean offline = false;
        List<String> sets = new java.util.ArrayList<>();
        Map<String, String> conf = new LinkedHashMap<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            switch (a) {
                case "--data" -> data = value(args, ++i, a);
                case "--master" -> master = value(args, ++i, a);
                case "--offline" -> offline = true;
                case "--set" -> {
                    String kv = value(args, ++i, a);
                    if (EVALUATION_KEYS.stream().noneMatch(kv::startsWith)) {
                        throw new BadInputException("--set " + kv + ": evaluate may only change keys under "
                                + String.join(", ", EVALUATION_KEYS) + "; the members were trained with the rest");
                    }
                    sets.add(kv);
                }
                case "--conf" -> CliArgs.sparkConf(value(args, ++i, a), conf, USAGE);
                default -> {
                    if (a.startsWith("-") || runDirArg != null) {
                        throw new BadInputException("unexpected argument " + a + "\n" + USAGE);
                    }
                    runDirArg = a;
                }
            }
        }
        if (runDirArg == null) {
            throw new BadInputException("missing the run directory\n" + USAGE);
        }
        CliArgs.applySparkHadoop(hadoop, conf);
        Path runDir = HadoopFiles.qualify(HadoopFiles.path(runDirArg), hadoop);
        FileSystem fs = HadoopFiles.fileSystem(runDir, hadoop);
        if (offline) {
            Path eval = new Path(runDir, EvaluateJob.EVAL);
            if (!fs.exists(new Path(eval, io.chorus.driver.eval.EvalManifest.NAME))) {
                throw new BadInputException(runDir + " has no evaluation to rebuild (no eval/models.json); run "
                        + "chorus evaluate without --offline first");
            }
            EnsembleReport.write(fs, eval);
            out.println("chorus: evaluate --offline: " + new Path(eval, EnsembleReport.NAME) + " rebuilt from the "
                    + "probability files");
            return ExitCode.SUCCESS;
        }
        JobConfig config = readJob(fs, runDir, sets);
        try (MemberRunner runner = TrainJob.IN_PROCESS.equals(master)
                ? new InProcessRunner(runDir.toString(), config.seed(), hadoop, out)
                : new SparkRunner("chorus evaluate " + runDir.getName(), master, conf, config.trainSpec().threads(),
                runDir.toString(), config.seed(), hadoop, out)) {
            Map<String, Object> metrics = new EvaluateJob(hadoop, out).run(config, runDir, runner.tasks(), data);
            EvaluationSummary.print(metrics, out);
        }
        return ExitCode.SUCCESS;
    }

    /** The run's own job.yaml, validated like any configuration. */
    static JobConfig readJob(FileSystem fs, Path runDir, List<String> overrides) throws IOException, BadInputException {
        Path jobFile = new Path(runDir, "job.yaml");
        if (!fs.exists(jobFile)) {
            throw new BadInputException(runDir + " is not a Chorus run directory: it has no job.yaml");
        }
        try {
            return JobConfig.parse(new String(HadoopFiles.readAll(fs, jobFile), StandardCharsets.UTF_8),
                    jobFile.toString(), overrides);
        } catch (ConfigException e) {
            throw new BadInputException("invalid " + jobFile + ":\n  " + String.join("\n  ", e.problems()));
        }
    }

    private static String value(List<String> args, int i, String option) throws BadInputException {
        return CliArgs.value(args, i, option, USAGE);
    }
}
