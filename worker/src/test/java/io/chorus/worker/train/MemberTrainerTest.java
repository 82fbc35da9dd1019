package io.chorus.worker.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.preprocessor.DataNormalization;

import io.chorus.worker.data.Augmentation;
import io.chorus.worker.data.BatchSource;
import io.chorus.worker.engine.onednn.OneDnnNetwork;
import io.chorus.worker.fs.HadoopFiles;
import io.chorus.worker.train.schedule.ScheduleKind;
import io.chorus.worker.zoo.ActivationKind;
import io.chorus.worker.zoo.Architecture;
import io.chorus.worker.zoo.BlockKind;
import io.chorus.worker.zoo.ModelSpec;
import io.chorus.worker.zoo.WeightInitKind;

/**
 * Trains real LeNet members on 2,000 Fashion-MNIST images (scripts/get-data puts them in place):
 * snapshots, determinism, resume, divergence.
 */
class MemberTrainerTest {
    static final String FASHION = "/usr/share/datasets/fashion-mnist";
    static final ModelSpec LENET = new ModelSpec(Architecture.LENET, WeightInitKind.HE, 0.01, ActivationKind.RELU, false,
            0.25, 2, 16, BlockKind.BASIC);
    static final DataSpec DATA = new DataSpec(FASHION, 10, 2000, 400, new Augmentation(1, true), false);
    static PreparedData data;

    @TempDir
    File tmp;

    @BeforeAll
    static void load() throws IOException {
        data = PreparedData.load(DATA, 42L, new Configuration());
    }

    static TrainSpec train(ScheduleKind schedule, int cycles, int snapshotEvery) {
        return new TrainSpec(2, 50, OptimizerKind.SGD, 0.02, 0.9, 5e-4, schedule, cycles, 1, 0.5, snapshotEvery, 0.75, 1, 1);
    }

    static MemberSpec member(long seed, TrainSpec t) {
        return new MemberSpec(0, seed, LENET, DATA, t);
    }

    private MemberTrainer trainer(Path dir) throws IOException {
        return new MemberTrainer(HadoopFiles.fileSystem(dir, new Configuration()));
    }

    private Path dir(String name) {
        return new Path(tmp.getAbsolutePath(), name);
    }

    private ComputationGraph finalNet(Path dir, MemberManifest m) throws IOException {
        return new SnapshotStore(HadoopFiles.fileSystem(dir, new Configuration()), dir).load(m.lastSnapshot().orElseThrow(), false);
    }

    @Test
    void trainsSnapshotsThatLoadWithModelSerializerAndReproduceTheirValidationAccuracy() throws IOException {
        Path dir = dir("m");
        MemberManifest m = trainer(dir).train(member(11, train(ScheduleKind.COSINE, 1, 1)), data, dir, false, Progress.Listener.NONE);

        assertEquals(MemberStatus.FINISHED, m.getStatus());
        Attempt attempt = m.getAttemptLog().get(0);
        assertEquals("onednn", attempt.engine(), "auto trains on the oneDNN engine on the CPU");
        assertEquals(1, attempt.threads());
        assertEquals(io.chorus.worker.engine.onednn.OneDnn.cpuIsa(), attempt.isa());
        assertFalse(attempt.isa().startsWith("0x") || attempt.isa().equals("default"), attempt.isa());
        assertEquals(431_080, m.getParameters());
        assertEquals(2, m.getEpochs().size());
        assertEquals(2, m.getSnapshots().size());
        assertEquals(List.of("epoch"), m.getSnapshots().get(0).kind());
        assertEquals(List.of("epoch", "swa", "final"), m.getSnapshots().get(1).kind());
        assertEquals(2L * 1600, m.getImagesSeen());
        assertEquals(m.getIterationsPerEpoch() * 2L, m.getSnapshots().get(1).iteration());
        assertTrue(m.getEpochs().get(1).valAccuracy() > 0.5, "LeNet learns Fashion-MNIST: " + m.getEpochs());
        assertTrue(m.getEpochs().get(1).trainLoss() < m.getEpochs().get(0).trainLoss());

        for (SnapshotRecord s : m.getSnapshots()) {
            File f = new File(tmp, "m/" + s.path());
            ComputationGraph restored = ModelSerializer.restoreComputationGraph(f, false);
            Scores again = Scores.of(restored, data.validation(), data.normalization(), 137);
            assertEquals(s.valAccuracy(), again.accuracy(), 0.0, s.path());
            assertEquals(s.valLoss(), again.nll(), 1e-6, s.path());
            assertEquals(s.valAccuracy(), m.getEpochs().get(s.epoch() - 1).valAccuracy(), 0.0);
            // What the engine wrote is what DL4J computes: the engine compiled from the zip agrees with it.
            INDArray x = BatchSource.toDataSet(data.validation(), data.normalization(), 0, 100).getFeatures();
            try (OneDnnNetwork engine = OneDnnNetwork.compile(restored, 1, 28, 28)) {
                double err = restored.output(false, x)[0].sub(engine.output(x)).amaxNumber().doubleValue();
                assertTrue(err <= 1e-5, s.path() + ": DL4J and the engine differ by " + err);
            }
        }
        MemberManifest reread = new SnapshotStore(HadoopFiles.fileSystem(dir, new Configuration()), dir).readManifest().orElseThrow();
        assertEquals(m.getSnapshots(), reread.getSnapshots());
        assertEquals(m.getEpochs(), reread.getEpochs());

        InitDiagnostics d = reread.getDiagnostics();
        assertEquals(InitDiagnostics.GRADIENT_ITERATIONS, d.iterations());
        assertEquals(256, d.examples());
        assertEquals(List.of("conv1", "pool1", "conv2", "pool2", "fc1", "output"),
                d.layers().stream().map(InitDiagnostics.LayerStats::name).toList());
        for (InitDiagnostics.LayerStats l : d.layers()) {
            assertTrue(l.activationStd() > 0 && Double.isFinite(l.activationStd()), l.toString());
            boolean pooling = l.name().startsWith("pool");
            assertEquals(pooling ? 0 : InitDiagnostics.GRADIENT_ITERATIONS, l.gradientNorm().size(), l.name());
            l.gradientNorm().forEach(g -> assertTrue(g > 0 && Double.isFinite(g), l.name() + " " + g));
        }
    }

    @Test
    void dl4jChosenTrainsOnDl4jAndSaysSo() throws IOException {
        Path dir = dir("dl4j");
        TrainSpec oneEpoch = new TrainSpec(1, 100, OptimizerKind.ADAM, 1e-3, 0.9, 0, ScheduleKind.CONSTANT, 1, 1, 0.5, 1,
                0.5, 0, 1, EngineChoice.DL4J);
        MemberManifest m = trainer(dir).train(member(3, oneEpoch), data, dir, false, Progress.Listener.NONE);
        assertEquals(MemberStatus.FINISHED, m.getStatus());
        Attempt attempt = m.getAttemptLog().get(0);
        assertEquals(io.chorus.worker.engine.Engine.ensureHelpers() ? "dl4j-onednn" : "dl4j-java", attempt.engine());
        assertEquals(1, attempt.threads());
        assertEquals(null, attempt.isa(), "no oneDNN engine, no ISA");
        // The engine's gradient norms are recorded at DL4J's scale: the first update's (same parameters,
        // same batch; dropout masks differ) within 25% of DL4J's.
        Path onEngine = dir("engine");
        MemberManifest e = trainer(onEngine).train(member(3, oneEpoch.withEngine(EngineChoice.ONEDNN)), data, onEngine,
                false, Progress.Listener.NONE);
        assertEquals("onednn", e.getAttemptLog().get(0).engine());
        for (int i = 0; i < m.getDiagnostics().layers().size(); i++) {
            InitDiagnostics.LayerStats a = m.getDiagnostics().layers().get(i);
            InitDiagnostics.LayerStats b = e.getDiagnostics().layers().get(i);
            assertEquals(a.gradientNorm().size(), b.gradientNorm().size(), a.name());
            if (!a.gradientNorm().isEmpty()) {
                double ga = a.gradientNorm().get(0);
                double gb = b.gradientNorm().get(0);
                assertTrue(Math.abs(ga - gb) <= 0.25 * ga, a.name() + ": DL4J " + ga + ", engine " + gb);
            }
        }
    }

    @Test
    void theEngineFreesItsNativeMemoryWhenTheMemberEndsFailsOrIsInterrupted() throws IOException {
        TrainSpec oneEpoch = new TrainSpec(1, 100, OptimizerKind.ADAM, 1e-3, 0.9, 0, ScheduleKind.CONSTANT, 1, 1, 0.5, 1,
                0.5, 0, 1, EngineChoice.ONEDNN);
        long[] before = OneDnnNetwork.liveNative();
        long[] during = new long[2];
        FileSystem fs = HadoopFiles.fileSystem(dir("x"), new Configuration());
        MemberTrainer watching = new MemberTrainer(fs, (net, iteration) -> {
            if (iteration == 2) {
                long[] now = OneDnnNetwork.liveNative();
                during[0] = now[0];
                during[1] = now[1];
            }
        });
        assertEquals(MemberStatus.FINISHED, watching.train(member(3, oneEpoch), data, dir("ok"), false,
                Progress.Listener.NONE).getStatus());
        assertTrue(during[1] > before[1] + 4L * 431_080, "the engine held its parameters natively: " + during[1]);
        assertArrayEquals(before, OneDnnNetwork.liveNative(), "after the member finished");

        MemberTrainer crashing = new MemberTrainer(fs, (net, iteration) -> {
            if (iteration == 3) {
                throw new IllegalStateException("simulated failure");
            }
        });
        assertThrows(IllegalStateException.class,
                () -> crashing.train(member(3, oneEpoch), data, dir("crash"), false, Progress.Listener.NONE));
        assertArrayEquals(before, OneDnnNetwork.liveNative(), "after the member failed");

        MemberTrainer interrupted = new MemberTrainer(fs, (net, iteration) -> {
            if (iteration == 3) {
                Thread.currentThread().interrupt(); // as Spark kills a task attempt
            }
        });
        try {
            assertThrows(java.io.InterruptedIOException.class,
                    () -> interrupted.train(member(3, oneEpoch), data, dir("killed"), false, Progress.Listener.NONE));
        } finally {
            Thread.interrupted();
        }
        assertArrayEquals(before, OneDnnNetwork.liveNative(), "after the member was interrupted");
    }

    @Test
    void aNetworkTheEngineCannotCompileIsLeftToDl4j() {
        ComputationGraph net = io.chorus.worker.zoo.ModelZoo.build(LENET, data.shape(), 10, 1,
                new org.nd4j.linalg.learning.config.RmsProp(1e-3), 0);
        assertEquals(null, MemberTrainer.compile(net, data, member(1, train(ScheduleKind.COSINE, 1, 1))));
    }

    @Test
    void snapshotCarriesANormalizerThatDl4jUsersApplyToRawPixels() throws Exception {
        Path dir = dir("n");
        TrainSpec oneEpoch = new TrainSpec(1, 100, OptimizerKind.ADAM, 1e-3, 0.9, 0, ScheduleKind.CONSTANT, 1, 1, 0.5, 1, 0.5, 0, 1);
        MemberManifest m = trainer(dir).train(member(3, oneEpoch), data, dir, false, Progress.Listener.NONE);
        File zip = new File(tmp, "n/" + m.lastSnapshot().orElseThrow().path());
        DataNormalization normalizer;
        try (InputStream in = new FileInputStream(zip)) {
            normalizer = ModelSerializer.restoreNormalizerFromInputStream(in);
        }
        DataSet expected = BatchSource.toDataSet(data.validation(), data.normalization(), 0, 20);
        byte[] px = data.validation().pixels();
        float[] raw = new float[20 * 784];
        for (int i = 0; i < raw.length; i++) {
            raw[i] = px[i] & 0xFF;
        }
        INDArray features = org.nd4j.linalg.factory.Nd4j.create(raw, new long[] {20, 1, 28, 28}, 'c');
        normalizer.transform(features);
        assertTrue(expected.getFeatures().equalsWithEps(features, 1e-4), "normalizer on raw pixels = Chorus's input");
    }

    @Test
    void sameSeedGivesBitwiseEqualParametersAndAnotherSeedDoesNot() throws IOException {
        TrainSpec t = train(ScheduleKind.COSINE, 1, 0);
        Path a = dir("a");
        Path b = dir("b");
        Path c = dir("c");
        ComputationGraph na = finalNet(a, trainer(a).train(member(5, t), data, a, false, Progress.Listener.NONE));
        ComputationGraph nb = finalNet(b, trainer(b).train(member(5, t), data, b, false, Progress.Listener.NONE));
        ComputationGraph nc = finalNet(c, trainer(c).train(member(6, t), data, c, false, Progress.Listener.NONE));
        assertArrayEquals(na.params().data().asFloat(), nb.params().data().asFloat());
        assertNotEquals(na.params(), nc.params());
    }

    @Test
    void onTwoThreadsTheEngineIsBitwiseReproducibleToo() throws IOException {
        TrainSpec t = new TrainSpec(1, 50, OptimizerKind.SGD, 0.02, 0.9, 5e-4, ScheduleKind.COSINE, 1, 1, 0.5, 0, 0.75, 0, 2,
                EngineChoice.ONEDNN);
        Path a = dir("two-a");
        Path b = dir("two-b");
        MemberManifest ma = trainer(a).train(member(5, t), data, a, false, Progress.Listener.NONE);
        MemberManifest mb = trainer(b).train(member(5, t), data, b, false, Progress.Listener.NONE);
        assertEquals(2, ma.getAttemptLog().get(0).threads());
        assertArrayEquals(finalNet(a, ma).params().data().asFloat(), finalNet(b, mb).params().data().asFloat());
    }

    @Test
    void resumedAfterACrashMidCycleItEndsBitwiseEqualToAnUninterruptedRun() throws IOException {
        // Three cycles over two epochs: cycle ends (and their snapshots) fall in the middle of epochs,
        // so resuming exercises the data position within an epoch, the updater state and the RNG.
        TrainSpec t = train(ScheduleKind.CYCLIC, 3, 0);
        Path straight = dir("straight");
        MemberManifest uninterrupted = trainer(straight).train(member(9, t), data, straight, false, Progress.Listener.NONE);

        Path crashed = dir("crashed");
        FileSystem fs = HadoopFiles.fileSystem(crashed, new Configuration());
        int perEpoch = uninterrupted.getIterationsPerEpoch();
        MemberManifest partial = crashMidCycle(crashed, t, perEpoch);
        assertEquals(MemberStatus.RUNNING, partial.getStatus());
        assertEquals(2, partial.getSnapshots().size(), "two mid-epoch cycle ends were committed before the crash");
        assertTrue(partial.getSnapshots().get(1).iteration() % perEpoch != 0);

        assertThrows(IllegalStateException.class,
                () -> trainer(crashed).train(member(9, t), data, crashed, false, Progress.Listener.NONE),
                "an existing member is not retrained without resume");
        MemberManifest resumed = trainer(crashed).train(member(9, t), data, crashed, true, Progress.Listener.NONE);

        assertEquals(MemberStatus.FINISHED, resumed.getStatus());
        assertEquals(2, resumed.getAttempts());
        assertEquals(uninterrupted.getSnapshots().size(), resumed.getSnapshots().size());
        for (int i = 0; i < resumed.getSnapshots().size(); i++) {
            assertEquals(uninterrupted.getSnapshots().get(i).iteration(), resumed.getSnapshots().get(i).iteration());
            assertEquals(uninterrupted.getSnapshots().get(i).kind(), resumed.getSnapshots().get(i).kind());
        }
        assertArrayEquals(finalNet(straight, uninterrupted).params().data().asFloat(),
                finalNet(crashed, resumed).params().data().asFloat());
        assertEquals(uninterrupted.getEpochs().get(1).valAccuracy(), resumed.getEpochs().get(1).valAccuracy(), 0.0);

        MemberManifest again = trainer(crashed).train(member(9, t), data, crashed, true, Progress.Listener.NONE);
        assertEquals(2, again.getAttempts(), "a finished member is not retrained on resume");
    }

    /** Trains member 9 in {@code dir} until a simulated executor loss halfway through epoch 2. */
    private MemberManifest crashMidCycle(Path dir, TrainSpec t, int perEpoch) throws IOException {
        FileSystem fs = HadoopFiles.fileSystem(dir, new Configuration());
        long crashAt = perEpoch + perEpoch / 2 + 3;
        MemberTrainer crashing = new MemberTrainer(fs, (net, iteration) -> {
            if (iteration == crashAt) {
                throw new IllegalStateException("simulated executor loss");
            }
        });
        assertThrows(IllegalStateException.class,
                () -> crashing.train(member(9, t), data, dir, false, Progress.Listener.NONE));
        return new SnapshotStore(fs, dir).readManifest().orElseThrow();
    }

    @Test
    void aCorruptSnapshotIsQuarantinedAndTrainingResumesFromTheOneBefore() throws IOException {
        // Three cycles over two epochs: two mid-epoch snapshots before the crash; the newer one is then
        // bit-flipped, so the resume must set it aside and start from the older one.
        TrainSpec t = train(ScheduleKind.CYCLIC, 3, 0);
        Path straight = dir("straight");
        MemberManifest uninterrupted = trainer(straight).train(member(9, t), data, straight, false, Progress.Listener.NONE);

        Path crashed = dir("flipped");
        FileSystem fs = HadoopFiles.fileSystem(crashed, new Configuration());
        MemberManifest partial = crashMidCycle(crashed, t, uninterrupted.getIterationsPerEpoch());
        SnapshotRecord newest = partial.getSnapshots().get(1);
        java.io.File zip = new java.io.File(crashed.toUri().getPath(), newest.path());
        byte[] bytes = java.nio.file.Files.readAllBytes(zip.toPath());
        bytes[bytes.length / 2] ^= 0x10;
        java.nio.file.Files.write(zip.toPath(), bytes);

        MemberManifest resumed = trainer(crashed).train(member(9, t), data, crashed, true, Progress.Listener.NONE);

        assertEquals(MemberStatus.FINISHED, resumed.getStatus());
        assertEquals(partial.getSnapshots().get(0).iteration(), resumed.getAttemptLog().get(1).resumedAt(),
                "resumed from the snapshot before the corrupt one");
        assertEquals(1, resumed.getQuarantined().size());
        assertEquals(newest, resumed.getQuarantined().get(0).snapshot());
        assertFalse(zip.exists(), "the corrupt file is moved out of snapshots/");
        assertTrue(new java.io.File(crashed.toUri().getPath(), "snapshots/quarantine/" + zip.getName()).exists());
        assertFalse(resumed.getSnapshots().stream().anyMatch(s -> s.path().equals(newest.path())));
        assertEquals(uninterrupted.getSnapshots().size(), resumed.getSnapshots().size());
        SnapshotStore store = new SnapshotStore(fs, crashed);
        for (SnapshotRecord s : resumed.getSnapshots()) {
            assertTrue(store.verify(s), s.path());
        }
        assertArrayEquals(finalNet(straight, uninterrupted).params().data().asFloat(),
                finalNet(crashed, resumed).params().data().asFloat());
    }

    @Test
    void anAttemptSupersededByANewerOneStopsListingAndReturnsTheMembersEnd() throws IOException {
        TrainSpec t = train(ScheduleKind.COSINE, 1, 1);
        Path dir = dir("raced");
        FileSystem fs = HadoopFiles.fileSystem(dir, new Configuration());
        SnapshotStore store = new SnapshotStore(fs, dir);
        // Before the first update of attempt 1, a newer attempt takes the member over; a second later it
        // ends the member (as the winning attempt of a speculative pair would).
        MemberTrainer first = new MemberTrainer(fs, (net, iteration) -> {
            if (iteration == 0) {
                try {
                    MemberManifest m = store.readManifest().orElseThrow();
                    m.startAttempt(new Attempt.Placement("other", "host", 1L), 0, "onednn");
                    store.writeManifest(m);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                new Thread(() -> {
                    try {
                        Thread.sleep(1500);
                        MemberManifest m = store.readManifest().orElseThrow();
                        m.finish(MemberStatus.FINISHED, null);
                        store.writeManifest(m);
                    } catch (IOException | InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                }).start();
            }
        });
        MemberManifest result = first.train(member(9, t), data, dir, false, Progress.Listener.NONE);
        assertEquals(MemberStatus.FINISHED, result.getStatus(), "the winner's outcome");
        assertEquals(2, result.getAttempts());
        assertEquals("other", result.getAttemptLog().get(1).executor());
        assertTrue(result.getSnapshots().isEmpty(), "the superseded attempt listed nothing");
        java.io.File snapshots = new java.io.File(dir.toUri().getPath(), "snapshots");
        String[] left = snapshots.list((d, n) -> n.endsWith(".zip"));
        assertEquals(0, left == null ? 0 : left.length, "its unlisted zip is deleted");
        // A later attempt that would mark the ended member running again is refused too.
        MemberManifest late = store.readManifest().orElseThrow();
        late.startAttempt(new Attempt.Placement("late", "host", 2L), 0, "onednn");
        SupersededAttemptException e = assertThrows(SupersededAttemptException.class, () -> store.writeManifest(late));
        assertTrue(e.getMessage().contains("already ended as finished"), e.getMessage());
    }

    @Test
    void nonFiniteLossMarksTheMemberDivergedAndKeepsEarlierSnapshots() throws IOException {
        Path dir = dir("d");
        FileSystem fs = HadoopFiles.fileSystem(dir, new Configuration());
        int perEpoch = (int) Math.ceil(1600 / 50.0);
        MemberTrainer poisoning = new MemberTrainer(fs, (net, iteration) -> {
            if (iteration == perEpoch + 2) {
                net.params().putScalar(0, Float.NaN);
            }
        });
        MemberManifest m = poisoning.train(member(4, train(ScheduleKind.COSINE, 1, 1)), data, dir, false, Progress.Listener.NONE);

        assertEquals(MemberStatus.DIVERGED, m.getStatus());
        assertTrue(m.getReason().contains("non-finite") && m.getReason().contains("epoch 2"), m.getReason());
        assertEquals(1, m.getSnapshots().size());
        SnapshotStore store = new SnapshotStore(fs, dir);
        assertTrue(store.verify(m.getSnapshots().get(0)));
        MemberManifest onDisk = store.readManifest().orElseThrow();
        assertEquals(MemberStatus.DIVERGED, onDisk.getStatus());
        assertFalse(Double.isNaN(store.load(onDisk.getSnapshots().get(0), false).params().sumNumber().doubleValue()));
    }
}
