package io.chorus.driver.eval;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;

import io.chorus.worker.fs.HadoopFiles;
import io.chorus.worker.train.SafeModels;
import io.chorus.worker.train.SnapshotCorruptException;

/**
 * Model files of a run, loaded at most once per JVM: an executor that evaluates several chunks of the
 * test set restores each network once. Every load checks the file's SHA-256 against the one the
 * manifest recorded, so a corrupt or replaced file is never used, then restores it through
 * {@link SafeModels#restore}, which refuses zips holding entries Chorus does not write.
 *
 * <p>The cache holds the networks of one evaluation (its {@code scope}): the first load for another
 * evaluation empties it, so a long-lived executor does not keep every run's networks.
 *
 * <p>A cached network is shared by the tasks of one executor; callers run it inside
 * {@code synchronized (net)}, since a DL4J network is not safe for concurrent use. Callers that score
 * for long, from several task threads at once, {@link #borrow} a copy of their own instead, so that the
 * executor's cores work in parallel.
 */
public final class ModelStore {
    private static final Map<String, ComputationGraph> CACHE = new ConcurrentHashMap<>();
    /** Copies of the cached networks not lent out at the moment, by cache key. */
    private static final Map<String, Deque<ComputationGraph>> IDLE = new ConcurrentHashMap<>();
    /**
     * Networks held in memory by their owner (a fitted Spark ML model), by SHA-256, checked when held: read
     * before the file. Weakly: an entry lives as long as its owner (or the broadcast carrying it) holds the bytes.
     */
    private static final Map<String, java.lang.ref.WeakReference<byte[]>> HELD = new ConcurrentHashMap<>();
    private static String scope;

    private ModelStore() {
    }

    /** The network in {@code path}, checked against {@code sha256}; loaded on first use in this JVM. */
    public static ComputationGraph load(String scope, String path, String sha256, Configuration conf) throws IOException {
        synchronized (CACHE) {
            if (!scope.equals(ModelStore.scope)) {
                CACHE.clear();
                IDLE.clear();
                ModelStore.scope = scope;
            }
        }
        String key = path + "#" + sha256;
        ComputationGraph net = CACHE.get(key);
        if (net != null) {
            return net;
        }
        synchronized (CACHE) {
            net = CACHE.get(key);
            if (net == null) {
                net = read(path, sha256, conf);
                CACHE.put(key, net);
            }
            return net;
        }
    }

    /**
     * A copy of the cached network for the caller alone until the lease is closed: as many copies exist as
     * threads have used the network at once, each made from the checked, cached one.
     */
    public static Lease borrow(String scope, String path, String sha256, Configuration conf) throws IOException {
        ComputationGraph shared = load(scope, path, sha256, conf);
        Deque<ComputationGraph> idle = IDLE.computeIfAbsent(path + "#" + sha256, k -> new ConcurrentLinkedDeque<>());
        ComputationGraph net = idle.poll();
        if (net == null) {
            synchronized (shared) {
                net = shared.clone();
            }
        }
        return new Lease(net, idle);
    }

    /** A network lent by {@link #borrow}; closing it gives it back. */
    public record Lease(ComputationGraph net, Deque<ComputationGraph> home) implements AutoCloseable {
        @Override
        public void close() {
            home.push(net);
        }
    }

    /**
     * Makes {@code networks} (model file bytes by their SHA-256) the source of the networks with those
     * checksums in this JVM, whatever their files hold since; each is checked once.
     *
     * @throws IllegalArgumentException if bytes do not match the checksum they are held under
     */
    public static void hold(Map<String, byte[]> networks) {
        for (Map.Entry<String, byte[]> e : networks.entrySet()) {
            java.lang.ref.WeakReference<byte[]> held = HELD.get(e.getKey());
            if (held != null && held.get() == e.getValue()) {
                continue;
            }
            String actual = HadoopFiles.sha256(e.getValue());
            if (!actual.equals(e.getKey())) {
                throw new IllegalArgumentException("a network held in memory has SHA-256 " + actual + ", not " + e.getKey());
            }
            HELD.put(e.getKey(), new java.lang.ref.WeakReference<>(e.getValue()));
        }
        HELD.values().removeIf(r -> r.get() == null);
    }

    /** Loads without caching (for models a task goes on to modify). */
    public static ComputationGraph read(String path, String sha256, Configuration conf) throws IOException {
        java.lang.ref.WeakReference<byte[]> ref = HELD.get(sha256);
        byte[] held = ref == null ? null : ref.get();
        if (held != null) {
            return SafeModels.restore(held, false, path);
        }
        Path p = new Path(path);
        FileSystem fs = p.getFileSystem(conf);
        if (!fs.exists(p)) {
            throw new SnapshotCorruptException("model file " + p + " is listed but missing");
        }
        byte[] bytes = HadoopFiles.readAll(fs, p);
        String actual = HadoopFiles.sha256(bytes);
        if (!actual.equals(sha256)) {
            throw new SnapshotCorruptException("model file " + p + " has SHA-256 " + actual + " but was recorded as " + sha256);
        }
        return SafeModels.restore(bytes, false, p.toString());
    }

    /**
     * Writes a network (without updater state) to {@code target} atomically and returns its SHA-256. The
     * name is chosen by the caller; an existing file of that name is replaced only as a whole.
     */
    public static String write(ComputationGraph net, FileSystem fs, Path target) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        ModelSerializer.writeModel(net, buf, false);
        byte[] bytes = buf.toByteArray();
        HadoopFiles.writeAtomically(fs, target, bytes);
        return HadoopFiles.sha256(bytes);
    }

    /** Drops every cached network (tests; a long-lived executor between runs). */
    public static void clear() {
        CACHE.clear();
        IDLE.clear();
    }
}
