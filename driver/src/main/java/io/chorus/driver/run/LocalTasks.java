package io.chorus.driver.run;

import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

import org.apache.hadoop.conf.Configuration;

/** {@link Tasks} without Spark: every item in this JVM, one after another. */
public final class LocalTasks implements Tasks {
    private final Configuration hadoop;

    public LocalTasks(Configuration hadoop) {
        this.hadoop = hadoop;
    }

    private record Value<T>(T value) implements Shared<T> {
        @Override
        public T get() {
            return value;
        }
    }

    @Override
    public <T extends Serializable> Shared<T> share(T value) {
        return new Value<>(value);
    }

    @Override
    public <I extends Serializable, O extends Serializable> List<O> map(String group, String description, List<I> items,
                                                                         Body<I, O> body) throws IOException {
        List<O> out = new ArrayList<>(items.size());
        for (I item : items) {
            try {
                out.add(body.apply(item, hadoop));
            } catch (IOException | RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IOException(description + ": " + e.getMessage(), e);
            }
        }
        return out;
    }

    @Override
    public int slots() {
        return 1;
    }
}
