package io.chorus.worker.train;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InvalidClassException;
import java.io.ObjectInputFilter;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BinaryOperator;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipInputStream;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chorus.worker.engine.Engine;

/**
 * Restores the DL4J model zips Chorus writes (snapshots and derived models) and refuses any other zip.
 * DL4J's {@code ModelSerializer.restoreComputationGraph} Java-deserializes a {@code preprocessor.bin} entry
 * when one is present; {@link #restore} guards against that twice.
 *
 * <p><b>Entry check.</b> The zip is read with {@link ZipInputStream}, the reader DL4J uses too, so both
 * see the same entries. Accepted entries are the ones DL4J 1.0.0-M2.1's
 * {@code ModelSerializer.writeModel(net, out, saveUpdater)} writes for a network with parameters:
 * {@code configuration.json} and {@code coefficients.bin} (both required) and {@code updaterState.bin}
 * (written when the updater has state); plus {@code normalizer.bin}, which {@link SnapshotStore} appends.
 * A zip with any other entry, a name seen twice, a directory entry, or a name containing {@code /},
 * {@code \} or {@code ..} is refused with an {@link UnsafeModelException} that names the file and the
 * entry. DL4J does not see the bytes of a refused zip.
 *
 * <p><b>Serialization filter.</b> While DL4J restores, the calling thread's {@link ObjectInputStream}s
 * reject every class (a JEP 290 filter scoped by a thread-local). Restoring a Chorus zip does no Java
 * deserialization at all, with or without the updater: DL4J parses {@code configuration.json} as JSON,
 * reads the arrays with {@code Nd4j.read}, and ignores {@code normalizer.bin}; no ObjectInputStream is
 * created. The allow-list is therefore empty, and the filter only acts if the entry check misses
 * something. Outside the scope, and on other threads, every stream behaves exactly as without the filter,
 * Spark's Java serialization included.
 *
 * <p><b>Installing the filter.</b> In Java 17 the JVM-wide filter factory can be set only once, and not at
 * all once a factory came from {@code -Djdk.serialFilterFactory} or any ObjectInputStream has been created
 * (in a Spark JVM that happens before Chorus code runs). This class's initialization tries, in order:
 * <ol>
 *   <li>{@code Config.setSerialFilterFactory} with a factory that wraps the current one (the JDK's
 *       built-in one, since no other can precede a successful set): each stream gets the filter the
 *       wrapped factory chooses, plus rejection of everything inside the scope;</li>
 *   <li>on IllegalStateException, {@code Config.setSerialFilter}: the scoped filter becomes the JVM-wide
 *       filter that every stream created afterwards starts from. The built-in factory applies it as is,
 *       and a stream that sets its own filter replaces it (DL4J's does not). If another factory is
 *       installed, that factory decides whether to keep it;</li>
 *   <li>on IllegalStateException again (a JVM-wide filter was already set, e.g. by
 *       {@code -Djdk.serialFilter}), no filter: a warning is logged and restores rely on the entry check,
 *       which already keeps out the one entry DL4J deserializes.</li>
 * </ol>
 * A probe then deserializes an Integer inside the scope to find out whether the filter takes effect;
 * {@link #installFilter()} returns the result. Calling {@link #installFilter()} first thing in
 * {@code main} installs it by the factory route.
 */
public final class SafeModels {
    /** The entries Chorus writes; the first two are required. */
    static final List<String> ENTRIES = List.of(ModelSerializer.CONFIGURATION_JSON, ModelSerializer.COEFFICIENTS_BIN,
            ModelSerializer.UPDATER_BIN, ModelSerializer.NORMALIZER_BIN);
    private static final List<String> REQUIRED = ENTRIES.subList(0, 2);

    private static final Logger LOG = LoggerFactory.getLogger(SafeModels.class);
    /** Set on a thread while it restores a model. */
    private static final ThreadLocal<Boolean> RESTORING = new ThreadLocal<>();
    private static final boolean FILTER_ACTIVE = install();

    private SafeModels() {
    }

    /**
     * Checks {@code zip}'s entries, then restores it with DL4J inside the filter scope. Calls
     * {@link Engine#ensureHelpers()} before restoring. {@code name} identifies the file in errors.
     *
     * @throws UnsafeModelException if the zip holds anything Chorus does not write, or if a Java
     *                              deserialization is attempted while restoring
     */
    public static ComputationGraph restore(byte[] zip, boolean withUpdater, String name) throws IOException {
        checkEntries(zip, name);
        Engine.ensureHelpers();
        try {
            return withinFilter(() -> ModelSerializer.restoreComputationGraph(new ByteArrayInputStream(zip), withUpdater));
        } catch (InvalidClassException e) {
            throw new UnsafeModelException("refused model file " + name + ": Java deserialization attempted while "
                    + "restoring: " + e.getMessage(), e);
        }
    }

    /** Whether the serialization filter takes effect in this JVM; installs it on first use. */
    public static boolean installFilter() {
        return FILTER_ACTIVE;
    }

    /** Refuses {@code zip} unless its entries are a subset of {@link #ENTRIES} holding the required ones. */
    static void checkEntries(byte[] zip, String name) throws IOException {
        Set<String> seen = new HashSet<>();
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
            for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                String entry = e.getName();
                String problem;
                if (e.isDirectory()) {
                    problem = "is a directory";
                } else if (entry.contains("/") || entry.contains("\\") || entry.contains("..")) {
                    problem = "is a path, not a plain name";
                } else if (!seen.add(entry)) {
                    problem = "appears twice";
                } else if (!ENTRIES.contains(entry)) {
                    problem = "is not one Chorus writes " + ENTRIES;
                } else {
                    continue;
                }
                throw new UnsafeModelException("refused model file " + name + ": entry " + quote(entry) + " " + problem);
            }
        } catch (ZipException e) {
            throw new UnsafeModelException("refused model file " + name + ": not a readable zip: " + e.getMessage(), e);
        }
        for (String r : REQUIRED) {
            if (!seen.contains(r)) {
                throw new UnsafeModelException("refused model file " + name + ": entry " + quote(r) + " is missing");
            }
        }
    }

    @FunctionalInterface
    interface IoSupplier<T> {
        T get() throws IOException;
    }

    /** Runs {@code body} with the filter rejecting every class deserialized on this thread. */
    static <T> T withinFilter(IoSupplier<T> body) throws IOException {
        boolean outermost = RESTORING.get() == null;
        if (outermost) {
            RESTORING.set(Boolean.TRUE);
        }
        try {
            return body.get();
        } finally {
            if (outermost) {
                RESTORING.remove();
            }
        }
    }

    /** A stream filter: inside the scope rejects everything, outside defers to {@code inner} (null: none). */
    record Scoped(ObjectInputFilter inner) implements ObjectInputFilter {
        @Override
        public Status checkInput(FilterInfo info) {
            if (RESTORING.get() != null) {
                return Status.REJECTED;
            }
            return inner == null ? Status.UNDECIDED : inner.checkInput(info);
        }
    }

    /**
     * A filter factory that asks {@code wrapped} for each stream's filter and returns it wrapped in
     * {@link Scoped}. {@code wrapped} is shown its own earlier result, never the wrapper.
     */
    record Factory(BinaryOperator<ObjectInputFilter> wrapped) implements BinaryOperator<ObjectInputFilter> {
        @Override
        public ObjectInputFilter apply(ObjectInputFilter current, ObjectInputFilter requested) {
            ObjectInputFilter own = current instanceof Scoped s ? s.inner() : current;
            return new Scoped(wrapped.apply(own, requested));
        }
    }

    private static boolean install() {
        String route;
        try {
            ObjectInputFilter.Config.setSerialFilterFactory(new Factory(ObjectInputFilter.Config.getSerialFilterFactory()));
            route = "filter factory";
        } catch (IllegalStateException | SecurityException factoryRefused) {
            try {
                ObjectInputFilter.Config.setSerialFilter(new Scoped(null));
                route = "JVM-wide filter (factory not settable: " + factoryRefused.getMessage() + ")";
            } catch (IllegalStateException | SecurityException filterRefused) {
                LOG.warn("no deserialization filter for model restores: the filter factory is not settable ({}) and "
                        + "a JVM-wide filter is already set ({}); restores rely on the zip entry check",
                        factoryRefused.getMessage(), filterRefused.getMessage());
                return false;
            }
        }
        boolean active = probe();
        if (active) {
            LOG.debug("deserialization filter for model restores installed as {}", route);
        } else {
            LOG.warn("deserialization filter for model restores installed as {} but has no effect (another filter "
                    + "factory drops it); restores rely on the zip entry check", route);
        }
        return active;
    }

    /** Whether deserializing inside the scope is rejected. */
    private static boolean probe() {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
                out.writeObject(Integer.valueOf(0));
            }
            return withinFilter(() -> {
                try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
                    in.readObject();
                    return false;
                } catch (ClassNotFoundException e) {
                    throw new IOException(e);
                }
            });
        } catch (InvalidClassException rejected) {
            return true;
        } catch (IOException | RuntimeException e) {
            LOG.warn("deserialization filter probe failed", e);
            return false;
        }
    }

    /** {@code s} in quotes, control characters escaped and cut at 200 characters, for error messages. */
    private static String quote(String s) {
        StringBuilder b = new StringBuilder("'");
        s.codePoints().limit(200).forEach(c -> {
            if (Character.isISOControl(c)) {
                b.append(String.format("\\u%04x", c));
            } else {
                b.appendCodePoint(c);
            }
        });
        return b.append(s.codePointCount(0, s.length()) > 200 ? "...'" : "'").toString();
    }
}
