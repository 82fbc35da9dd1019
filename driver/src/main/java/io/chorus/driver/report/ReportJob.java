package io.chorus.driver.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;

import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import io.chorus.driver.run.RunLayout;
import io.chorus.worker.fs.HadoopFiles;

/**
 * Writes {@code report/index.html} and {@code report/metrics.csv} of a run directory. Both are written into
 * a staging directory that replaces {@code report/} only once complete, so a failed report never leaves a
 * half-written page in place of the previous one, and nothing outside {@code report/} is touched.
 */
public final class ReportJob {
    public static final String REPORT = RunLayout.REPORT;
    public static final String PAGE = "index.html";
    public static final String CSV = "metrics.csv";

    private ReportJob() {
    }

    /** Reads the run, writes its report and returns the page's path. */
    public static Path write(FileSystem fs, Path runDir) throws IOException {
        ReportData data = ReportData.read(fs, runDir);
        String page = HtmlReport.render(data);
        List<Summary.Row> rows = new Summary(data).rows();
        Path staging = new Path(runDir, REPORT + ".tmp-" + UUID.randomUUID().toString().substring(0, 8));
        try {
            fs.mkdirs(staging);
            HadoopFiles.writeAtomically(fs, new Path(staging, PAGE), page.getBytes(StandardCharsets.UTF_8));
            HadoopFiles.writeAtomically(fs, new Path(staging, CSV), MetricsCsv.of(rows, ShiftData.of(data)).getBytes(StandardCharsets.UTF_8));
            HadoopFiles.replaceDirectory(fs, staging, new Path(runDir, REPORT));
        } finally {
            if (fs.exists(staging)) {
                fs.delete(staging, true);
            }
        }
        return new Path(new Path(runDir, REPORT), PAGE);
    }
}
