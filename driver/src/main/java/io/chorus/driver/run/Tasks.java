package io.chorus.driver.run;

import java.io.IOException;
import java.io.Serializable;
import java.util.List;

import org.apache.hadoop.conf.Configuration;

/**
 * Runs independent pieces of work where the members ran: as Spark tasks (one per item, on the same
 * SparkContext that trained the members) or one after another in this JVM. Evaluation uses it to build
 * derived models and to compute class probabilities.
 */
public interface Tasks {

    /** A value every task can read, sent to each executor JVM once (a Spark broadcast). */
    interface Shared<T> extends Serializable {
        T get();
    }

    /** The body of a task. Must be serializable: under Spark it travels to the executors. */
    @FunctionalInterface
    interface Body<I, O> extends Serializable {
        O apply(I item, Configuration hadoop) throws Exception;
    }

    <T extends Serializable> Shared<T> share(T value);

    /**
     * Applies {@code body} to every item, each in its own task, and returns the results in item order.
     * The first task that fails fails the call (Spark retries it first, as for any task).
     *
     * @param group       a short name for the Spark UI's job group
     * @param description what the tasks do, for the Spark UI
     */
    <I extends Serializable, O extends Serializable> List<O> map(String group, String description, List<I> items,
                                                                  Body<I, O> body) throws IOException;

    /** Tasks that can run at once. */
    int slots();
}
