package io.chorus.driver;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import io.chorus.driver.config.ConfigException;
import io.chorus.driver.config.JobConfig;
import io.chorus.driver.config.Keys;
import io.chorus.driver.eval.EnsembleReport;
import io.chorus.driver.eval.EvaluateJob;
import io.chorus.driver.run.InProcessRunner;
import io.chorus.driver.run.MemberRunner;
import io.chorus.driver.run.RunLayout;
import io.chorus.driver.run.RunLock;
import io.chorus.driver.spark.SparkRunner;
import io.chorus.driver.spark.SparkSettings;
import io.chorus.worker.fs.HadoopFiles;

/**
 * {@code chorus evaluate <run-dir>}: evaluates a trained run on Spark (see {@link EvaluateJob}).
 * {@code --offline} only rebuilds eval/metrics.json from eval/models.json and the probability files,
 * without data, Spark or networks.
 */
final class EvaluateCommand {
    static final Options OPTIONS = new Options("evaluate", "Evaluates a trained run: every model and ensemble on the "
            + "test split, into eval/ (also run at the end of chorus train).", 1, "run-dir")
            .value("--data", "DIR", "score the test files of DIR instead of the run's data.dir")
            .repeated("--set", "key=value", "changes a key under " + String.join(", ", Keys.EVALUATION_PREFIXES))
            .value("--master", "URL", "the Spark master (default spark.master, else local[*]), or in-process")
            .repeated("--conf", "spark.key=value", "a Spark setting, as spark-submit takes it")
            .flag("--offline", "only rebuilds eval/metrics.json from eval/models.json and the probability files");
    private final Configuration hadoop;
    private final PrintStream out;

    EvaluateCommand(Configuration hadoop, PrintStream out) {
        this.hadoop = hadoop;
        this.out = out;
    }

    ExitCode run(List<String> args) throws IOException, BadInputException {
        Options.Parsed p = OPTIONS.parse(args);
        String data = p.get("--data");
        String master = p.get("--master");
        List<String> sets = p.all("--set");
        for (String kv : sets) {
            if (Keys.EVALUATION_PREFIXES.stream().noneMatch(kv::startsWith)) {
                throw new BadInputException("--set " + kv + ": evaluate may only change keys under "
                        + String.join(", ", Keys.EVALUATION_PREFIXES) + "; the members were trained with the rest");
            }
        }
        Map<String, String> conf = p.sparkConf();
        CliArgs.applySparkHadoop(hadoop, conf);
        RunLayout layout = RunLayout.of(p.positional(0), hadoop, "run directory");
        Path runDir = layout.root();
        FileSystem fs = layout.fs();
        if (p.has("--offline")) {
            Path eval = layout.eval();
            if (!fs.exists(new Path(eval, io.chorus.driver.eval.EvalManifest.NAME))) {
                throw new BadInputException(runDir + " has no evaluation to rebuild (no eval/models.json); run "
                        + "chorus evaluate without --offline first");
            }
            try (RunLock lock = RunLock.acquire(layout, "chorus evaluate --offline", out)) {
                EnsembleReport.write(fs, eval);
            }
            out.println("chorus: evaluate --offline: " + new Path(eval, EnsembleReport.NAME) + " rebuilt from the "
                    + "probability files");
            return ExitCode.SUCCESS;
        }
        JobConfig config = readJob(layout, sets);
        if (master == null || !master.equals(TrainJob.IN_PROCESS)) {
            SparkSettings.check(master, conf, config.trainSpec().threads(), "--master");
        }
        try (RunLock lock = RunLock.acquire(layout, "chorus evaluate", out);
             MemberRunner runner = TrainJob.IN_PROCESS.equals(master)
                ? new InProcessRunner(runDir.toString(), config.seed(), hadoop, out)
                : new SparkRunner("chorus evaluate " + runDir.getName(), master, conf, config.trainSpec().threads(),
                runDir.toString(), config.seed(), hadoop, out)) {
            layout.removeStaleTemporaries(out);
            Map<String, Object> metrics = new EvaluateJob(hadoop, out).run(config, runDir, runner.tasks(), data);
            EvaluationSummary.print(metrics, out);
        }
        return ExitCode.SUCCESS;
    }

    /** The run's own job.yaml, validated like any configuration; bad input if the path holds no readable run. */
    static JobConfig readJob(RunLayout layout, List<String> overrides) throws IOException, BadInputException {
        Path jobFile = layout.jobYaml();
        RunLayout.State state = layout.state();
        if (state != RunLayout.State.RUN || !layout.fs().exists(jobFile)) {
            throw new BadInputException(layout.root() + " is not a Chorus run directory: " + (state == RunLayout.State.RUN
                    ? "it has no job.yaml" : layout.describe(state)));
        }
        try {
            return JobConfig.parse(new String(HadoopFiles.readAll(layout.fs(), jobFile), StandardCharsets.UTF_8),
                    jobFile.toString(), overrides);
        } catch (ConfigException e) {
            throw new BadInputException("invalid " + jobFile + ":\n  " + String.join("\n  ", e.problems()));
        }
    }
}
