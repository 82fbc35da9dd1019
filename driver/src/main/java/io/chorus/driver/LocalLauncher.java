package io.chorus.driver;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chorus.driver.config.JobConfig;
import io.chorus.worker.data.DataFiles;
import io.chorus.worker.data.DataFormatException;
import io.chorus.worker.data.ImageData;
import io.chorus.worker.fs.HadoopFiles;
import io.chorus.worker.train.MemberManifest;
import io.chorus.worker.train.MemberSpec;
import io.chorus.worker.train.MemberStatus;
import io.chorus.worker.train.MemberTrainer;
import io.chorus.worker.train.PreparedData;
import io.chorus.worker.train.Progress;
import io.chorus.worker.train.Scores;
import io.chorus.worker.train.SnapshotRecord;
import io.chorus.worker.train.SnapshotStore;

/**
 * Trains every member of a job in this JVM, one after the other, with the worker's own loop. The run
 * directory layout is the one the Spark launcher writes: {@code job.yaml} and
 * {@code members/member-NNN/}.
 */
public final class LocalLauncher {
    private static final Logger LOG = LoggerFactory.getLogger(LocalLauncher.class);
    private final Configuration hadoop;
    private final PrintStream out;

    public LocalLauncher(Configuration hadoop, PrintStream out) {
        this.hadoop = hadoop;
        this.out = out;
    }

    public ExitCode train(JobConfig config, TrainCommand cmd) throws BadInputException, IOException {
        Path runDir = HadoopFiles.qualify(HadoopFiles.path(cmd.runDirOrDefault()), hadoop);
        FileSystem fs = HadoopFiles.fileSystem(runDir, hadoop);

        // Everything the user can get wrong is checked before the run directory is touched.
        PreparedData data;
        ImageData test;
        try {
            data = PreparedData.load(config.dataSpec(), config.seed(), hadoop);
            test = DataFiles.loadTest(DataFiles.resolveDir(config.dataSpec().dir()), config.dataSpec().classes(), hadoop);
        } catch (DataFormatException | FileNotFoundException | IllegalArgumentException e) {
            throw new BadInputException("data: " + e.getMessage(), e);
        }
        if (!test.shape().equals(data.shape())) {
            throw new BadInputException("data: test images are " + test.shape() + " but training images are " + data.shape());
        }
        prepareRunDir(fs, runDir, cmd);
        HadoopFiles.writeAtomically(fs, new Path(runDir, "job.yaml"), config.toYaml().getBytes(StandardCharsets.UTF_8));
        out.printf(Locale.ROOT, "chorus: %d member(s) of %s on %s images (%d train, %d validation, %d test) -> %s%n",
                config.members(), config.modelSpec().arch().configName(), data.shape(), data.train().size(),
                data.validation().size(), test.size(), runDir);

        MemberTrainer trainer = new MemberTrainer(fs);
        List<MemberManifest> results = new ArrayList<>();
        for (MemberSpec spec : config.memberSpecs()) {
            Path memberDir = new Path(runDir, String.format(Locale.ROOT, "members/member-%03d", spec.id()));
            try {
                results.add(trainer.train(spec, data, memberDir, cmd.resume(), this::printProgress));
            } catch (IOException | RuntimeException e) {
                LOG.error("member {} failed", spec.id(), e);
                results.add(markFailed(fs, memberDir, spec, e));
            }
        }
        return summarize(fs, runDir, results, data, test);
    }

    private void prepareRunDir(FileSystem fs, Path runDir, TrainCommand cmd) throws IOException, BadInputException {
        if (fs.exists(runDir)) {
            FileStatus[] entries = fs.listStatus(runDir);
            if (entries.length > 0) {
                if (cmd.overwrite()) {
                    out.println("chorus: --overwrite: deleting " + runDir);
                    fs.delete(runDir, true);
                } else if (!cmd.resume()) {
                    throw new BadInputException("run directory " + runDir + " already holds a run; pass --resume to "
                            + "continue it, --overwrite to replace it, or --run-dir to choose another");
                }
            }
        }
        fs.mkdirs(runDir);
    }

    private MemberManifest markFailed(FileSystem fs, Path memberDir, MemberSpec spec, Exception e) throws IOException {
        SnapshotStore store = new SnapshotStore(fs, memberDir);
        MemberManifest m = store.readManifest().orElseGet(() -> new MemberManifest(spec.id(), spec.seed(),
                spec.model().arch().configName(), 0, null, 0, null, spec.train().epochs(), 0, 0));
        m.finish(MemberStatus.FAILED, String.valueOf(e));
        store.writeManifest(m);
        return m;
    }

    private void printProgress(Progress p) {
        out.printf(Locale.ROOT, "  member %d  epoch %d/%d  iter %d/%d  loss %.4f  %.0f img/s  ETA %s%n", p.member(),
                p.epoch(), p.epochs(), p.iteration(), p.iterations(), p.loss(), p.imagesPerSecond(), duration(p.etaSeconds()));
    }

    private ExitCode summarize(FileSystem fs, Path runDir, List<MemberManifest> results, PreparedData data, ImageData test)
            throws IOException {
        out.println("chorus: member  status    val_acc  test_acc  test_nll  params     train_s");
        int finished = 0;
        for (MemberManifest m : results) {
            String testAcc = "-";
            String testNll = "-";
            String valAcc = "-";
            if (m.getStatus() == MemberStatus.FINISHED) {
                finished++;
                SnapshotStore store = new SnapshotStore(fs, new Path(runDir, String.format(Locale.ROOT, "members/member-%03d", m.getMember())));
                SnapshotRecord last = m.lastSnapshot().orElseThrow();
                ComputationGraph net = store.load(last, false);
                Scores s = Scores.of(net, test, data.normalization(), 500);
                testAcc = String.format(Locale.ROOT, "%.4f", s.accuracy());
                testNll = String.format(Locale.ROOT, "%.4f", s.nll());
                valAcc = last.valAccuracy() == null ? "-" : String.format(Locale.ROOT, "%.4f", last.valAccuracy());
            }
            out.printf(Locale.ROOT, "chorus: %6d  %-8s  %7s  %8s  %8s  %-9d  %.1f%s%n", m.getMember(), m.getStatus().configName(),
                    valAcc, testAcc, testNll, m.getParameters(), m.getTrainSeconds(),
                    m.getReason() == null ? "" : "  (" + m.getReason() + ")");
        }
        if (finished == results.size()) {
            return ExitCode.SUCCESS;
        }
        return finished > 0 ? ExitCode.PARTIAL : ExitCode.FAILURE;
    }

    private static String duration(double seconds) {
        long s = Math.round(Math.max(0, seconds));
        return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
    }
}
