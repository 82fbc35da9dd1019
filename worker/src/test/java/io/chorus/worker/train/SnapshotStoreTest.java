package io.chorus.worker.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.util.Arrays;
import java.util.List;

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

/** The two-phase commit of snapshots: data first under a unique name, then the manifest that makes it count. */
class SnapshotStoreTest {
    private static final ImageShape SHAPE = new ImageShape(8, 8, 1);
    private static final Normalization NORM = new Normalization(new float[] {0.5f}, new float[] {0.25f});

    @TempDir
    File tmp;
    private FileSystem fs;
    private Path dir;
    private MemberManifest manifest;

    @BeforeEach
    void setUp() throws IOException {
        dir = new Path(tmp.getAbsolutePath(), "member-000");
        fs = HadoopFiles.fileSystem(dir, new Configuration());
        manifest = new MemberManifest(0, 7L, "lenet", 0, SHAPE, 10, NORM, 2, 10, 100);
    }

    private static ComputationGraph net(long seed) {
        ModelSpec spec = new ModelSpec(Architecture.LENET, WeightInitKind.HE, 0.01, ActivationKind.RELU, false, 0.0, 2, 16,
                BlockKind.BASIC);
        return ModelZoo.build(spec, SHAPE, 10, seed, new Nesterovs(0.01, 0.9), 0.0);
    }

    private SnapshotRecord commit(SnapshotStore store, ComputationGraph net, int epoch) throws IOException {
        return store.commit(net, MemberTrainer.pixelNormalizer(NORM), manifest, epoch, epoch * 10L, 0.01,
                List.of(SnapshotKind.EPOCH), 0.5, 1.0);
    }

    @Test
    void committedSnapshotIsListedVerifiedAndLoadsWithDl4jAlone() throws IOException {
        SnapshotStore store = new SnapshotStore(fs, dir);
        ComputationGraph net = net(1);
        SnapshotRecord r = commit(store, net, 1);

        MemberManifest onDisk = store.readManifest().orElseThrow();
        assertEquals(List.of(r), onDisk.getSnapshots());
        assertTrue(store.verify(r));
        assertEquals(HadoopFiles.sha256(fs, new Path(dir, r.path())), r.sha256());
        ComputationGraph plain = ModelSerializer.restoreComputationGraph(new File(tmp, "member-000/" + r.path()), true);
        assertEquals(net.params(), plain.params());
        assertEquals(net.params(), store.load(r, false).params());
    }

    @Test
    void failureBetweenWritingAndCommittingLeavesManifestAndPreviousSnapshotIntact() throws IOException {
        SnapshotStore good = new SnapshotStore(fs, dir);
        ComputationGraph first = net(1);
        SnapshotRecord r1 = commit(good, first, 1);
        byte[] manifestBefore = HadoopFiles.readAll(fs, good.manifestPath());

        SnapshotStore failing = new SnapshotStore(fs, dir, snapshot -> {
            throw new IOException("simulated crash after writing " + snapshot.getName());
        });
        IOException e = assertThrows(IOException.class, () -> commit(failing, net(2), 2));
        assertTrue(e.getMessage().contains("simulated crash"));

        assertEquals(new String(manifestBefore), new String(HadoopFiles.readAll(fs, good.manifestPath())),
                "the manifest on disk is the one before the failed commit");
        assertEquals(List.of(r1), manifest.getSnapshots(), "the in-memory manifest did not gain the failed snapshot");
        MemberManifest reread = good.readManifest().orElseThrow();
        assertEquals(List.of(r1), reread.getSnapshots());
        assertTrue(good.verify(r1));
        assertEquals(first.params(), good.load(r1, true).params());
        long tmpFiles = Arrays.stream(new File(tmp, "member-000/snapshots").list()).filter(n -> n.startsWith(".")).count();
        assertEquals(0, tmpFiles, "no temporary file is left behind");
    }

    @Test
    void corruptSnapshotIsRefusedAndSkippedForTheOneBefore() throws IOException {
        SnapshotStore store = new SnapshotStore(fs, dir);
        SnapshotRecord r1 = commit(store, net(1), 1);
        SnapshotRecord r2 = commit(store, net(2), 2);
        File f2 = new File(tmp, "member-000/" + r2.path());
        try (RandomAccessFile raf = new RandomAccessFile(f2, "rw")) {
            raf.seek(raf.length() / 2);
            int b = raf.read();
            raf.seek(raf.length() / 2);
            raf.write(b ^ 0x01);
        }
        assertFalse(store.verify(r2));
        SnapshotCorruptException e = assertThrows(SnapshotCorruptException.class, () -> store.load(r2, true));
        assertTrue(e.getMessage().contains(r2.sha256()), e.getMessage());
        assertEquals(r1, store.lastVerified(store.readManifest().orElseThrow()).orElseThrow());
    }

    @Test
    void missingSnapshotIsReportedByName() throws IOException {
        SnapshotStore store = new SnapshotStore(fs, dir);
        SnapshotRecord r = commit(store, net(1), 1);
        assertTrue(new File(tmp, "member-000/" + r.path()).delete());
        SnapshotCorruptException e = assertThrows(SnapshotCorruptException.class, () -> store.load(r, false));
        assertTrue(e.getMessage().contains("missing") && e.getMessage().contains(r.path()), e.getMessage());
    }

    /**
     * Two attempts that both start from no manifest (a speculative copy launched while the first attempt was
     * still loading): each claims its own number, the newer one's manifest keeps the older attempt in its log,
     * and the older one is fenced off at its next write.
     */
    @Test
    void attemptsStartingTogetherGetDistinctNumbersAndTheOlderIsFenced() throws IOException {
        SnapshotStore store = new SnapshotStore(fs, dir);
        MemberManifest first = manifest;
        MemberManifest second = new MemberManifest(0, 7L, "lenet", 0, SHAPE, 10, NORM, 2, 10, 100);
        store.beginAttempt(first, new Attempt.Placement("1", "a", 11L), 0, "onednn", 1, null);
        store.beginAttempt(second, new Attempt.Placement("2", "b", 22L), 0, "onednn", 1, null);
        assertEquals(1, first.getAttempts());
        assertEquals(2, second.getAttempts());
        MemberManifest onDisk = store.readManifest().orElseThrow();
        assertEquals(List.of(1, 2), onDisk.getAttemptLog().stream().map(Attempt::number).toList(),
                "the newer attempt's manifest lists the older one too");
        assertThrows(SupersededAttemptException.class, () -> commit(store, net(1), 1), "the older attempt stops");
        assertEquals(2, store.readManifest().orElseThrow().getAttempts());
    }
}
