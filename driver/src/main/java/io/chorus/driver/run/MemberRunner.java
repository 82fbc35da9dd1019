package io.chorus.driver.run;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import io.chorus.worker.train.MemberSpec;

/** Trains a list of members somewhere: on Spark, or in this JVM one after another. */
public interface MemberRunner extends AutoCloseable {

    /**
     * Trains {@code members}, started in the given order (most expensive first), and reports each
     * outcome as it arrives. Returns when every member has an outcome; a member whose training throws is
     * reported as failed, never lost.
     */
    void run(List<MemberSpec> members, TrainingData data, Consumer<MemberOutcome> onDone) throws IOException;

    /** run.json's {@code spark} section: master, application id, executors. */
    Map<String, Object> describe();

    /** Where evaluation work runs: the same Spark application, or this JVM. */
    Tasks tasks();

    /** The Spark version in use, or {@code none}. */
    String sparkVersion();

    @Override
    void close();
}
