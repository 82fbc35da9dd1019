package io.chorus.driver;

import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.graph.ComputationGraph;

import io.chorus.driver.config.JobConfig;
import io.chorus.driver.run.RunLayout;
import io.chorus.worker.data.DataFiles;
import io.chorus.worker.data.ImageData;
import io.chorus.worker.train.MemberManifest;
import io.chorus.worker.train.Scores;
import io.chorus.worker.train.SnapshotRecord;
import io.chorus.worker.train.SnapshotStore;

/**
 * {@code chorus snapshots <run-dir>}: every committed snapshot of every member, its checksum verified,
 * scored on the test split, as CSV on standard output. A snapshot whose checksum fails is listed as
 * {@code corrupt} and never loaded.
 */
final class SnapshotsCommand {
    static final Options OPTIONS = new Options("snapshots", "Lists every committed snapshot of every member, its checksum "
            + "verified, scored on the test split, as CSV on standard output.", 1, "run-dir");
    private final Configuration hadoop;
    private final PrintStream out;

    SnapshotsCommand(Configuration hadoop, PrintStream out) {
        this.hadoop = hadoop;
        this.out = out;
    }

    ExitCode run(List<String> args) throws IOException, BadInputException {
        RunLayout layout = RunLayout.of(OPTIONS.parse(args).positional(0), hadoop, "run directory");
        FileSystem fs = layout.fs();
        JobConfig config = EvaluateCommand.readJob(layout, List.of());
        ImageData test;
        try {
            test = DataFiles.loadTest(DataFiles.resolveDir(config.dataSpec().dir()), config.dataSpec().classes(), hadoop);
        } catch (java.io.FileNotFoundException | io.chorus.worker.data.DataFormatException e) {
            throw new BadInputException("data: " + e.getMessage() + " (the test split of the run's data.dir)", e);
        }
        out.println("member,status,snapshot,kind,epoch,iteration,lr,val_accuracy,test_accuracy,test_nll");
        Path members = layout.members();
        FileStatus[] dirs = fs.exists(members) ? fs.listStatus(members) : new FileStatus[0];
        java.util.Arrays.sort(dirs, (a, b) -> a.getPath().getName().compareTo(b.getPath().getName()));
        for (FileStatus d : dirs) {
            SnapshotStore store = new SnapshotStore(fs, d.getPath());
            MemberManifest m = store.readManifest().orElse(null);
            if (m == null) {
                continue;
            }
            for (SnapshotRecord s : m.getSnapshots()) {
                String acc = "corrupt";
                String nll = "corrupt";
                if (store.verify(s)) {
                    ComputationGraph net = store.load(s, false);
                    Scores score = Scores.of(net, test, m.getNormalization(), 500);
                    acc = String.format(Locale.ROOT, "%.4f", score.accuracy());
                    nll = String.format(Locale.ROOT, "%.4f", score.nll());
                }
                out.printf(Locale.ROOT, "%d,%s,%s,%s,%d,%d,%.6g,%s,%s,%s%n", m.getMember(), m.getStatus().configName(),
                        s.path(), String.join("+", s.kind()), s.epoch(), s.iteration(), s.lr(),
                        s.valAccuracy() == null ? "" : String.format(Locale.ROOT, "%.4f", s.valAccuracy()), acc, nll);
            }
        }
        return ExitCode.SUCCESS;
    }
}
