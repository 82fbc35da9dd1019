package io.chorus.driver.run;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import io.chorus.worker.train.Progress;

/**
 * The driver console while members train: a line per running member (epoch, iteration, loss, images/s,
 * ETA) read from the progress files executors write, and the whole job's ETA.
 */
public final class ProgressBoard {
    private final FileSystem fs;
    private final Path runDir;
    private final PrintStream out;

    public ProgressBoard(FileSystem fs, Path runDir, PrintStream out) {
        this.fs = fs;
        this.runDir = runDir;
        this.out = out;
    }

    /**
     * Prints the board for the members still training.
     *
     * @param running   ids of members started and not yet done
     * @param queued    members not started yet
     * @param slots     members that train at once
     */
    public void print(Set<Integer> running, int queued, int slots) {
        List<Progress> live = new ArrayList<>();
        for (int id : running) {
            Optional<Progress> p = new ProgressFile(fs, RunLayout.memberDir(runDir, id)).read();
            p.ifPresent(live::add);
        }
        double slowest = 0;
        for (Progress p : live) {
            out.println(line(p));
            slowest = Math.max(slowest, p.etaSeconds());
        }
        if (!live.isEmpty()) {
            double perMember = live.stream().mapToDouble(ProgressBoard::memberSeconds).average().orElse(0);
            double eta = slowest + Math.ceil(queued / (double) Math.max(1, slots)) * perMember;
            out.printf(Locale.ROOT, "  job: %d training, %d queued, ETA %s%n", live.size(), queued, duration(eta));
        }
    }

    /** A member's whole training time, extrapolated from its remaining time and the share still to do. */
    static double memberSeconds(Progress p) {
        long left = Math.max(1, p.iterations() - p.iteration());
        return p.etaSeconds() * p.iterations() / left;
    }

    public static String line(Progress p) {
        return String.format(Locale.ROOT, "  member %d  epoch %d/%d  iter %d/%d  loss %.4f  %.0f img/s  ETA %s", p.member(),
                p.epoch(), p.epochs(), p.iteration(), p.iterations(), p.loss(), p.imagesPerSecond(), duration(p.etaSeconds()));
    }

    public static String duration(double seconds) {
        long s = Math.round(Math.max(0, seconds));
        return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
    }
}
