package io.chorus.worker.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InvalidClassException;
import java.io.ObjectInputFilter;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.learning.config.Nesterovs;

import io.chorus.worker.data.ImageShape;
import io.chorus.worker.data.Normalization;
import io.chorus.worker.fs.HadoopFiles;
import io.chorus.worker.zoo.ActivationKind;
import io.chorus.worker.zoo.Architecture;
import io.chorus.worker.zoo.BlockKind;
import io.chorus.worker.zoo.ModelSpec;
import io.chorus.worker.zoo.ModelZoo;
import io.chorus.worker.zoo.WeightInitKind;

/** Model restores accept exactly the zips Chorus writes and never run Java deserialization. */
class SafeModelsTest {
    private static final ImageShape SHAPE = new ImageShape(8, 8, 1);
    private static final Normalization NORM = new Normalization(new float[] {0.5f}, new float[] {0.25f});
    private static final String NAME = "/runs/x/member-000/snapshots/test.zip";

    /** Set when a {@link Tripwire} is deserialized. */
    static final AtomicBoolean TRIPPED = new AtomicBoolean();

    /** A serializable class whose deserialization is observable, standing in for a gadget chain. */
    static final class Tripwire implements Serializable {
        private static final long serialVersionUID = 1L;

        private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
            in.defaultReadObject();
            TRIPPED.set(true);
        }
    }

    @TempDir
    File tmp;
    private FileSystem fs;
    private Path dir;
    private MemberManifest manifest;
    private SnapshotStore store;
    private ComputationGraph net;
    private SnapshotRecord record;
    private byte[] snapshot;

    @BeforeEach
    void setUp() throws IOException {
        TRIPPED.set(false);
        dir = new Path(tmp.getAbsolutePath(), "member-000");
        fs = HadoopFiles.fileSystem(dir, new Configuration());
        manifest = new MemberManifest(0, 7L, "lenet", 0, SHAPE, 10, NORM, 2, 10, 100);
        store = new SnapshotStore(fs, dir);
        ModelSpec spec = new ModelSpec(Architecture.LENET, WeightInitKind.HE, 0.01, ActivationKind.RELU, false, 0.0, 2, 16,
                BlockKind.BASIC);
        net = ModelZoo.build(spec, SHAPE, 10, 1, new Nesterovs(0.01, 0.9), 0.0);
        record = store.commit(net, MemberTrainer.pixelNormalizer(NORM), manifest, 1, 10L, 0.01,
                List.of(SnapshotKind.EPOCH), 0.5, 1.0);
        snapshot = HadoopFiles.readAll(fs, new Path(dir, record.path()));
    }

    @Test
    void snapshotHoldsExactlyTheEntriesChorusWritesAndRestoresWithAndWithoutUpdater() throws IOException {
        assertEquals(List.of("configuration.json", "coefficients.bin", "updaterState.bin", "normalizer.bin"),
                new ArrayList<>(entries(snapshot).keySet()));
        assertTrue(SafeModels.installFilter(), "the filter takes effect, so the restores below ran under it");

        ComputationGraph withUpdater = SafeModels.restore(snapshot, true, NAME);
        assertEquals(net.params(), withUpdater.params());
        assertEquals(net.getUpdater().getStateViewArray(), withUpdater.getUpdater().getStateViewArray());
        assertEquals(net.params(), SafeModels.restore(snapshot, false, NAME).params());
        assertEquals(net.params(), store.load(record, true).params());
        assertEquals(net.params(), store.load(record, false).params());
    }

    @Test
    void modelWithoutUpdaterOrNormalizerRestores() throws IOException {
        ByteArrayOutputStream plain = new ByteArrayOutputStream();
        ModelSerializer.writeModel(net, plain, false);
        assertEquals(List.of("configuration.json", "coefficients.bin"), new ArrayList<>(entries(plain.toByteArray()).keySet()));
        assertEquals(net.params(), SafeModels.restore(plain.toByteArray(), false, NAME).params());
    }

    @Test
    void preprocessorEntryIsRefusedBeforeAnyDeserialization() throws IOException {
        HashMap<String, Object> payload = new HashMap<>();
        payload.put("x", new Tripwire());
        byte[] planted = withExtra(snapshot, ModelSerializer.PREPROCESSOR_BIN, serialize(payload));

        UnsafeModelException e = assertThrows(UnsafeModelException.class, () -> SafeModels.restore(planted, false, NAME));
        assertTrue(e.getMessage().contains(NAME) && e.getMessage().contains("'preprocessor.bin'"), e.getMessage());
        assertFalse(TRIPPED.get());

        // Were the entry check bypassed, the filter would still stop DL4J's ObjectInputStream.
        assertThrows(InvalidClassException.class, () -> SafeModels.withinFilter(
                () -> ModelSerializer.restoreComputationGraph(new ByteArrayInputStream(planted), false)));
        assertFalse(TRIPPED.get());

        // Plain DL4J does deserialize the entry (and only then fails to cast it): the planted zip is a real threat.
        assertThrows(ClassCastException.class,
                () -> ModelSerializer.restoreComputationGraph(new ByteArrayInputStream(planted), false));
        assertTrue(TRIPPED.get());
    }

    @Test
    void unknownDirectoryAndPathEntriesAreRefusedByName() throws IOException {
        for (String entry : List.of("readme.txt", "../evil", "sub/coefficients.bin", "a\\b", "..", "dir/")) {
            byte[] zip = withExtra(snapshot, entry, new byte[] {1});
            UnsafeModelException e = assertThrows(UnsafeModelException.class, () -> SafeModels.restore(zip, false, NAME),
                    entry);
            assertTrue(e.getMessage().contains(NAME) && e.getMessage().contains("'" + entry + "'"), e.getMessage());
        }
    }

    @Test
    void duplicateEntryIsRefused() throws IOException {
        // ZipOutputStream refuses duplicate names, so the second entry is written under a stand-in name of the
        // same length and renamed in the bytes (local header and central directory alike).
        byte[] zip = replace(withExtra(snapshot, "coefficients.bi#", new byte[] {1}), "coefficients.bi#", "coefficients.bin");
        UnsafeModelException e = assertThrows(UnsafeModelException.class, () -> SafeModels.restore(zip, false, NAME));
        assertTrue(e.getMessage().contains(NAME) && e.getMessage().contains("'coefficients.bin' appears twice"),
                e.getMessage());
    }

    @Test
    void missingRequiredEntryAndNonZipAreRefused() throws IOException {
        Map<String, byte[]> only = entries(snapshot);
        only.remove("coefficients.bin");
        UnsafeModelException e = assertThrows(UnsafeModelException.class, () -> SafeModels.restore(zip(only), false, NAME));
        assertTrue(e.getMessage().contains("'coefficients.bin' is missing"), e.getMessage());

        byte[] junk = "not a zip".getBytes(StandardCharsets.UTF_8);
        assertThrows(UnsafeModelException.class, () -> SafeModels.restore(junk, false, NAME));
    }

    @Test
    void filterRejectsInsideTheScopeOnlyAndOnlyOnItsThread() throws Exception {
        HashMap<String, Integer> map = new HashMap<>(Map.of("a", 1));
        byte[] bytes = serialize(map);

        InvalidClassException e = assertThrows(InvalidClassException.class,
                () -> SafeModels.withinFilter(() -> deserialize(bytes)));
        assertTrue(e.getMessage().contains("REJECTED"), e.getMessage());

        assertEquals(map, deserialize(bytes), "outside the scope the same bytes deserialize");
        Object onOtherThread = SafeModels.withinFilter(() -> CompletableFuture.supplyAsync(() -> {
            try {
                return deserialize(bytes);
            } catch (IOException ex) {
                throw new RuntimeException(ex);
            }
        }).join());
        assertEquals(map, onOtherThread, "another thread is unaffected while this one is in the scope");
    }

    @Test
    void factoryWrapsThePreviousFactoryAndRejectsOnlyInsideTheScope() throws IOException {
        ObjectInputFilter previousResult = info -> ObjectInputFilter.Status.ALLOWED;
        ObjectInputFilter requested = info -> ObjectInputFilter.Status.UNDECIDED;
        List<ObjectInputFilter> seenCurrent = new ArrayList<>();
        SafeModels.Factory factory = new SafeModels.Factory((current, next) -> {
            seenCurrent.add(current);
            return next == requested ? previousResult : next;
        });

        ObjectInputFilter first = factory.apply(null, requested);
        SafeModels.Scoped scoped = assertInstanceOf(SafeModels.Scoped.class, first);
        assertSame(previousResult, scoped.inner());
        factory.apply(first, requested);
        assertEquals(2, seenCurrent.size());
        assertSame(previousResult, seenCurrent.get(1), "the wrapped factory sees its own filter, not the wrapper");

        assertEquals(ObjectInputFilter.Status.ALLOWED, first.checkInput(null));
        assertEquals(ObjectInputFilter.Status.REJECTED, SafeModels.withinFilter(() -> first.checkInput(null)));
        assertEquals(ObjectInputFilter.Status.UNDECIDED, new SafeModels.Scoped(null).checkInput(null));
    }

    @Test
    void checksumIsCheckedBeforeTheEntries() throws IOException {
        byte[] planted = withExtra(snapshot, ModelSerializer.PREPROCESSOR_BIN, serialize(new HashMap<>()));
        HadoopFiles.writeAtomically(fs, new Path(dir, record.path()), planted);

        SnapshotCorruptException corrupt = assertThrows(SnapshotCorruptException.class, () -> store.load(record, false));
        assertFalse(corrupt instanceof UnsafeModelException, corrupt.getMessage());
        assertTrue(corrupt.getMessage().contains(record.sha256()), corrupt.getMessage());

        SnapshotRecord forged = new SnapshotRecord(record.path(), HadoopFiles.sha256(planted), record.epoch(),
                record.iteration(), record.lr(), record.kind(), record.valAccuracy(), record.valLoss());
        UnsafeModelException unsafe = assertThrows(UnsafeModelException.class, () -> store.load(forged, false));
        assertTrue(unsafe.getMessage().contains(record.path()) && unsafe.getMessage().contains("'preprocessor.bin'"),
                unsafe.getMessage());
    }

    private static Map<String, byte[]> entries(byte[] zip) throws IOException {
        Map<String, byte[]> out = new LinkedHashMap<>();
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
            for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                out.put(e.getName(), in.readAllBytes());
            }
        }
        return out;
    }

    private static byte[] zip(Map<String, byte[]> entries) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream out = new ZipOutputStream(bytes)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                out.putNextEntry(new ZipEntry(e.getKey()));
                out.write(e.getValue());
                out.closeEntry();
            }
        }
        return bytes.toByteArray();
    }

    private static byte[] withExtra(byte[] zip, String name, byte[] data) throws IOException {
        Map<String, byte[]> all = entries(zip);
        all.put(name, data);
        return zip(all);
    }

    /** {@code zip} with every occurrence of {@code from} replaced by {@code to} (same length). */
    private static byte[] replace(byte[] zip, String from, String to) {
        byte[] f = from.getBytes(StandardCharsets.UTF_8);
        byte[] t = to.getBytes(StandardCharsets.UTF_8);
        byte[] out = zip.clone();
        int n = 0;
        for (int i = 0; i + f.length <= out.length; i++) {
            if (java.util.Arrays.equals(out, i, i + f.length, f, 0, f.length)) {
                System.arraycopy(t, 0, out, i, t.length);
                n++;
            }
        }
        assertEquals(2, n, "the name occurs in the local header and the central directory");
        return out;
    }

    private static byte[] serialize(Object o) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(o);
        }
        return bytes.toByteArray();
    }

    private static Object deserialize(byte[] bytes) throws IOException {
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes))) {
            Object o = in.readObject();
            assertNotNull(o);
            return o;
        } catch (ClassNotFoundException e) {
            throw new IOException(e);
        }
    }
}
