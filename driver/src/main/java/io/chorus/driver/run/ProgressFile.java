package io.chorus.driver.run;

import java.io.IOException;
import java.util.Optional;

import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chorus.worker.fs.HadoopFiles;
import io.chorus.worker.fs.Json;
import io.chorus.worker.train.Progress;

/**
 * {@code progress.json} in a member directory: the member's latest {@link Progress}, replaced atomically
 * every few seconds by whichever executor trains it, read by the driver's console. Status files work the
 * same on every cluster manager, need nothing but the run directory, and survive a driver restart.
 */
public final class ProgressFile {
    public static final String NAME = "progress.json";
    private static final Logger LOG = LoggerFactory.getLogger(ProgressFile.class);
    private final FileSystem fs;
    private final Path path;

    public ProgressFile(FileSystem fs, Path memberDir) {
        this.fs = fs;
        this.path = new Path(memberDir, NAME);
    }

    /** Best effort: progress is advisory, and a failed write must not stop training. */
    public void write(Progress p) {
        try {
            HadoopFiles.writeAtomically(fs, path, Json.write(p));
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot write {}: {}", path, e.toString());
        }
    }

    public Optional<Progress> read() {
        try {
            if (!fs.exists(path)) {
                return Optional.empty();
            }
            return Optional.of(Json.read(HadoopFiles.readAll(fs, path), Progress.class, path.toString()));
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
