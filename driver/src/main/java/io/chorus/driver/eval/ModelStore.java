package io.chorus.driver.eval;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Deque;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chorus.ensemble.heads.Backbone;
import io.chorus.worker.data.ImageShape;
import io.chorus.worker.engine.onednn.OneDnnException;
import io.chorus.worker.engine.onednn.OneDnnNetwork;
import io.chorus.worker.engine.onednn.UnsupportedGraphException;
import io.chorus.worker.fs.HadoopFiles;
import io.chorus.worker.train.SafeModels;
import io.chorus.worker.train.SnapshotCorruptException;
import io.chorus.worker.zoo.ModelZoo;

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
 *
 * <p>A borrowed copy also carries the network compiled onto the oneDNN engine ({@link Lease#engine}),
 * compiled the first time a lease of that copy asks for it and kept with the copy; so a network is
 * compiled once per JVM and concurrent user, like the copies themselves. When the cache drops a network
 * (another scope, {@link #clear}) the engine networks of its idle copies are closed at once, and those of
 * copies lent out at that moment when their lease is closed: native memory does not wait for the garbage
 * collector. A network the engine cannot compile is scored by DL4J; that is logged once per network.
 * The system property {@value #ENGINE_PROPERTY}{@code =dl4j} keeps every network on DL4J.
 */
public final class ModelStore {
    /** System property choosing the inference engine: {@code onednn} (the default) or {@code dl4j}. */
    public static final String ENGINE_PROPERTY = "chorus.inference.engine";
    private static final Logger LOG = LoggerFactory.getLogger(ModelStore.class);
    private static final Map<String, ComputationGraph> CACHE = new ConcurrentHashMap<>();
    /** Copies of the cached networks not lent out at the moment, by cache key. */
    private static final Map<String, Deque<Copy>> IDLE = new ConcurrentHashMap<>();
    /** Networks the engine refused, by cache key (each logged once). */
    private static final Set<String> REFUSED = ConcurrentHashMap.newKeySet();
    /** Bumped whenever the cache drops its networks; a lease of an older generation frees its engine. */
    private static final AtomicLong GENERATION = new AtomicLong();
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
                drop();
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
        long generation;
        ComputationGraph shared;
        Deque<Copy> idle;
        String key = path + "#" + sha256;
        synchronized (CACHE) {
            shared = load(scope, path, sha256, conf);
            generation = GENERATION.get();
            idle = IDLE.computeIfAbsent(key, k -> new ConcurrentLinkedDeque<>());
        }
        Copy copy = idle.poll();
        if (copy == null) {
            synchronized (shared) {
                copy = new Copy(key, shared.clone());
            }
        }
        return new Lease(copy, idle, generation);
    }

    /** A copy of a cached network and, once a lease asked for it, the same network on the engine. */
    private static final class Copy {
        final String key;
        final ComputationGraph net;
        OneDnnNetwork engine;
        ImageShape engineShape;
        boolean refused;

        Copy(String key, ComputationGraph net) {
            this.key = key;
            this.net = net;
        }

        OneDnnNetwork engine(ImageShape shape) {
            if (refused || !"onednn".equals(System.getProperty(ENGINE_PROPERTY, "onednn"))) {
                return null;
            }
            if (engine != null && !shape.equals(engineShape)) {
                freeEngine();
            }
            if (engine == null) {
                try {
                    engine = OneDnnNetwork.compile(net, shape.channels(), shape.height(), shape.width());
                    engineShape = shape;
                } catch (UnsupportedGraphException | OneDnnException e) {
                    refused = true;
                    if (REFUSED.add(key)) {
                        LOG.warn("scoring {} with DL4J: {}", key, e.getMessage());
                    }
                    return null;
                }
            }
            return engine;
        }

        void freeEngine() {
            if (engine != null) {
                engine.close();
                engine = null;
                engineShape = null;
            }
        }
    }

    /**
     * A network lent by {@link #borrow}; closing it gives it back (or, if the cache dropped the network
     * meanwhile, frees its engine network).
     */
    public static final class Lease implements AutoCloseable {
        private final Copy copy;
        private final Deque<Copy> home;
        private final long generation;
        private boolean closed;

        private Lease(Copy copy, Deque<Copy> home, long generation) {
            this.copy = copy;
            this.home = home;
            this.generation = generation;
        }

        /** The DL4J network, for this lease alone. */
        public ComputationGraph net() {
            return copy.net;
        }

        /**
         * The same network compiled onto the oneDNN engine for images of {@code shape}, compiled on the first
         * request for this copy and kept with it; null when the engine cannot compile it (then the caller
         * uses {@link #net()}, and the reason was logged once) or when {@value #ENGINE_PROPERTY} says dl4j.
         */
        public OneDnnNetwork engine(ImageShape shape) {
            return copy.engine(shape);
        }

        /** The network as a backbone: its features from the engine when the engine compiled it, else DL4J's. */
        public Backbone backbone(ImageShape shape) {
            OneDnnNetwork engine = engine(shape);
            return engine == null ? new Backbone(copy.net)
                    : new Backbone(copy.net, x -> engine.activations(x, ModelZoo.FEATURES));
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            synchronized (CACHE) {
                if (generation == GENERATION.get()) {
                    home.push(copy);
                    return;
                }
            }
            copy.freeEngine();
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

    /** Forgets every cached network and frees the engine networks of the idle copies (under CACHE's lock). */
    private static void drop() {
        GENERATION.incrementAndGet();
        for (Deque<Copy> idle : IDLE.values()) {
            for (Copy c = idle.poll(); c != null; c = idle.poll()) {
                c.freeEngine();
            }
        }
        CACHE.clear();
        IDLE.clear();
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

    /** Drops every cached network and frees their engine networks (tests; a long-lived executor between runs). */
    public static void clear() {
        synchronized (CACHE) {
            drop();
            REFUSED.clear();
        }
    }

    /** Engine networks held by idle copies at the moment (tests: what {@link #clear} frees). */
    static int idleEngines() {
        int n = 0;
        for (Deque<Copy> idle : IDLE.values()) {
            for (Copy c : idle) {
                n += c.engine != null ? 1 : 0;
            }
        }
        return n;
    }
}
