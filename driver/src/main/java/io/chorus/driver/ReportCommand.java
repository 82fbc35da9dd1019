package io.chorus.driver;

import java.io.IOException;
import java.io.PrintStream;
import java.util.List;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

import io.chorus.driver.report.ReportJob;
import io.chorus.driver.run.RunLayout;
import io.chorus.driver.run.RunLock;

/**
 * {@code chorus report <run-dir>}: writes the run's offline report (report/index.html, report/metrics.csv)
 * from run.json, the members' manifests and eval/. Needs neither Spark nor the data.
 */
final class ReportCommand {
    static final Options OPTIONS = new Options("report", "Writes the run's offline report, report/index.html and "
            + "report/metrics.csv, from run.json, the members' manifests and eval/ (no Spark, no data).", 1, "run-dir");
    private final Configuration hadoop;
    private final PrintStream out;

    ReportCommand(Configuration hadoop, PrintStream out) {
        this.hadoop = hadoop;
        this.out = out;
    }

    ExitCode run(List<String> args) throws IOException, BadInputException {
        RunLayout layout = RunLayout.of(OPTIONS.parse(args).positional(0), hadoop, "run directory");
        if (layout.state() != RunLayout.State.RUN || !layout.fs().exists(layout.runJson())) {
            throw new BadInputException(layout.root() + " is not a Chorus run directory: " + (layout.state() == RunLayout.State.RUN
                    ? "it has no run.json" : layout.describe(layout.state())));
        }
        Path page;
        try (RunLock lock = RunLock.acquire(layout, "chorus report", out)) {
            layout.removeStaleTemporaries(out);
            page = ReportJob.write(layout.fs(), layout.root());
        } catch (IllegalArgumentException e) {
            throw new BadInputException(e.getMessage(), e);
        }
        out.println("chorus: report written to " + page);
        return ExitCode.SUCCESS;
    }
}
