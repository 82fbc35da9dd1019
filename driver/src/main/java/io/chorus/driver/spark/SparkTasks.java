package io.chorus.driver.spark;

import java.io.IOException;
import java.io.Serializable;
import java.util.List;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.broadcast.Broadcast;

import io.chorus.driver.run.Tasks;

/** {@link Tasks} as Spark jobs with one task per item. */
final class SparkTasks implements Tasks {
    private final JavaSparkContext jsc;
    private final Broadcast<SerializableHadoopConf> conf;
    private final int slots;

    SparkTasks(JavaSparkContext jsc, Configuration hadoop, int slots) {
        this.jsc = jsc;
        this.conf = jsc.broadcast(new SerializableHadoopConf(hadoop));
        this.slots = slots;
    }

    private record Broadcasted<T>(Broadcast<T> b) implements Shared<T> {
        @Override
        public T get() {
            return b.value();
        }
    }

    @Override
    public <T extends Serializable> Shared<T> share(T value) {
        return new Broadcasted<>(jsc.broadcast(value));
    }

    @Override
    public <I extends Serializable, O extends Serializable> List<O> map(String group, String description, List<I> items,
                                                                         Body<I, O> body) throws IOException {
        if (items.isEmpty()) {
            return List.of();
        }
        jsc.setJobGroup(group, description, false);
        try {
            return jsc.parallelize(items, items.size()).map(new Apply<>(body, conf)).collect();
        } catch (Exception e) {
            // Spark reports a failed task as "Job aborted due to stage failure: ... <the task's exception>".
            String msg = String.valueOf(e.getMessage());
            throw new IOException(description + " failed: " + msg.lines().findFirst().orElse(msg), e);
        } finally {
            jsc.clearJobGroup();
        }
    }

    @Override
    public int slots() {
        return slots;
    }

    /** A named closure, so a task carries exactly the body and the broadcast handle. */
    private static final class Apply<I, O> implements Function<I, O> {
        private static final long serialVersionUID = 1L;
        private final Body<I, O> body;
        private final Broadcast<SerializableHadoopConf> conf;

        Apply(Body<I, O> body, Broadcast<SerializableHadoopConf> conf) {
            this.body = body;
            this.conf = conf;
        }

        @Override
        public O call(I item) throws Exception {
            return body.apply(item, conf.value().get());
        }
    }
}
