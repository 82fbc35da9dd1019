package io.chorus.driver.run;

import java.io.IOException;
import java.io.Serializable;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import io.chorus.worker.fs.HadoopFiles;
import io.chorus.worker.train.Attempt;
import io.chorus.worker.train.MemberManifest;
import io.chorus.worker.train.MemberSpec;
import io.chorus.worker.train.MemberTrainer;
import io.chorus.worker.train.PreparedData;
import io.chorus.worker.train.Progress;

/**
 * Trains one member in whatever JVM runs it: a Spark executor, or the driver itself without Spark.
 *
 * <p>A task always resumes what is in its member directory: when Spark retries a task after an
 * executor loss, the new attempt continues from the last committed snapshot of the one before. The
 * driver decides, before anything starts, whether an existing run may be continued at all.
 *
 * <p>It holds only what it needs (strings and serializable specs), so no driver state travels with it.
 */
public final class MemberTask implements Serializable {
    private static final long serialVersionUID = 1L;

    /**
     * The Spark setting (in-process: the system property) through which tests inject crashes and NaNs into
     * the real training path; a production job leaves it unset.
     */
    public static final String FAULTS = "spark.chorus.test.faults";

    private final String runDir;
    private final long jobSeed;
    private final Faults faults;

    /**
     * @param faults the value of {@value #FAULTS} (empty or null: none)
     * @throws IllegalArgumentException if that value cannot be read
     */
    public MemberTask(String runDir, long jobSeed, String faults) {
        this.runDir = runDir;
        this.jobSeed = jobSeed;
        this.faults = Faults.parse(faults);
    }


    /**
     * What a replica of member {@code member} runs before each update in the member's attempt {@code attempt}
     * (0 first): the member's injected faults.
     */
    public MemberTrainer.IterationHook faults(int member, int attempt) {
        return faults.hook(member, attempt);
    }

    public MemberOutcome train(MemberSpec spec, TrainingData data, Configuration conf, Attempt.Placement where,
                               int attempt, Progress.Listener also) throws IOException {
        io.chorus.worker.engine.Devices.bind(where.gpus());
        PreparedData prepared = data.prepared(spec.data(), jobSeed);
        Path dir = RunLayout.memberDir(new Path(runDir), spec.id());
        FileSystem fs = HadoopFiles.fileSystem(dir, conf);
        ProgressFile progress = new ProgressFile(fs, dir);
        MemberManifest m = new MemberTrainer(fs, faults.hook(spec.id(), attempt)).train(spec, prepared, dir, true, p -> {
            progress.write(p);
            also.onProgress(p);
        }, where);
        return new MemberOutcome(spec.id(), m.getStatus(), m.getReason(), where.executor(), where.host(), where.pid(), attempt);
    }
}
