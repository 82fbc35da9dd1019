package io.chorus.driver;

import java.io.IOException;
import java.io.PrintStream;
import java.util.List;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import io.chorus.driver.report.ReportJob;
import io.chorus.worker.fs.HadoopFiles;

/**
 * {@code chorus report <run-dir>}: writes the run's offline report (report/index.html, report/metrics.csv)
 * from run.json, the members' manifests and eval/. Needs neither Spark nor the data.
 */
final class ReportCommand {
    static final String USAGE = "usage: chorus report <run-dir>";
    private final Configuration hadoop;
    private final PrintStream out;

    ReportCommand(Configuration hadoop, PrintStream out) {
        this.hadoop = hadoop;
        this.out = out;
    }

    ExitCode run(List<String> args) throws IOException, BadInputException {
        if (args.size() != 1 || args.get(0).startsWith("-")) {
            throw new BadInputException((args.isEmpty() ? "missing the run directory" : "unexpected arguments " + args)
                    + "\n" + USAGE);
        }
        Path runDir = HadoopFiles.qualify(HadoopFiles.path(args.get(0)), hadoop);
        FileSystem fs = HadoopFiles.fileSystem(runDir, hadoop);
        if (!fs.exists(new Path(runDir, "run.json"))) {
            throw new BadInputException(runDir + " is not a Chorus run directory: it has no run.json");
        }
        Path page;
        try {
            page = ReportJob.write(fs, runDir);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(e.getMessage(), e);
        }
        out.println("chorus: report written to " + page);
        return ExitCode.SUCCESS;
    }
}
