package io.chorus.driver.run;

import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import org.apache.hadoop.conf.Configuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chorus.worker.train.Attempt;
import io.chorus.worker.train.MemberSpec;

/**
 * {@code --master in-process}: the members one after another in this JVM with the worker's own loop, no
 * Spark at all. The baseline the Spark launcher is measured against, and a way to debug one member.
 */
public final class InProcessRunner implements MemberRunner {
    private static final Logger LOG = LoggerFactory.getLogger(InProcessRunner.class);
    private final String runDir;
    private final long jobSeed;
    private final Configuration hadoop;
    private final PrintStream out;

    public InProcessRunner(String runDir, long jobSeed, Configuration hadoop, PrintStream out) {
        this.runDir = runDir;
        this.jobSeed = jobSeed;
        this.hadoop = hadoop;
        this.out = out;
    }

    @Override
    public void run(List<MemberSpec> members, TrainingData data, Consumer<MemberOutcome> onDone) throws IOException {
        MemberTask task = new MemberTask(runDir, jobSeed, System.getProperty(MemberTask.FAULTS, ""));
        for (MemberSpec spec : members) {
            MemberOutcome outcome;
            try {
                outcome = task.train(spec, data, hadoop, Attempt.here("in-process"), 0, p -> out.println(ProgressBoard.line(p)));
            } catch (IOException | RuntimeException e) {
                LOG.error("member {} failed", spec.id(), e);
                outcome = MemberOutcome.failed(spec.id(), e);
            }
            onDone.accept(outcome);
        }
    }

    @Override
    public Map<String, Object> describe() {
        return Map.of("master", "in-process");
    }

    @Override
    public Tasks tasks() {
        return new LocalTasks(hadoop);
    }

    @Override
    public String sparkVersion() {
        return "none";
    }

    @Override
    public void close() {
    }
}
