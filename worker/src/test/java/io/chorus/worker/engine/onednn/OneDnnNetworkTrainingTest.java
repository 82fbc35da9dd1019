package io.chorus.worker.engine.onednn;

import static io.chorus.worker.engine.onednn.EngineFixtures.build;
import static io.chorus.worker.engine.onednn.EngineFixtures.compile;
import static io.chorus.worker.engine.onednn.EngineFixtures.features;
import static io.chorus.worker.engine.onednn.EngineFixtures.labels;
import static io.chorus.worker.engine.onednn.EngineFixtures.spec;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chorus.worker.data.ImageShape;
import io.chorus.worker.zoo.ActivationKind;
import io.chorus.worker.zoo.Architecture;
import io.chorus.worker.zoo.BlockKind;
import io.chorus.worker.zoo.ModelSpec;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;

/**
 * {@value #STEPS} updates on the same dropout-free minibatches, engine vs DL4J, each from the same
 * initial parameters: trainable parameters within {@value #PARAM_TOLERANCE} of each tensor's max-abs,
 * batch normalization's running mean and log10(std) within {@value #STATS_TOLERANCE}, the updater state
 * (Nesterov velocity, Adam moments) and the iteration count written back by {@code copyTo}. The
 * tolerances are looser than the gradient test's because float rounding differences compound over the
 * steps (and Adam divides by sqrt of second moments).
 */
class OneDnnNetworkTrainingTest {
    static final int STEPS = 5;
    static final int BATCH = 16;
    static final double PARAM_TOLERANCE = 1e-3;
    static final double STATS_TOLERANCE = 1e-3;
    /** Relative; the score drifts as the parameters do (ResNet with momentum 0.9 reaches 4e-4 by step 5). */
    static final double SCORE_TOLERANCE = 1e-3;
    static final double LR_SGD = 0.05;
    static final double LR_ADAM = 1e-3;

    /**
     * Free runs diverge chaotically for the deeper BN networks (the BN ResNet with Nesterov, bottleneck
     * ResNet, GoogLeNet and AlexNet with BN and Adam), for DL4J against itself as much as against the
     * engine; OneDnnNetworkStepTest checks every single step of those instead.
     */
    static Stream<Arguments> networks() {
        ImageShape mnist = new ImageShape(28, 28, 1);
        ImageShape small = new ImageShape(12, 12, 1);
        Supplier<IUpdater> nesterov = () -> new Nesterovs(LR_SGD, 0.9);
        Supplier<IUpdater> adam = () -> new Adam(LR_ADAM);
        ActivationKind relu = ActivationKind.RELU;
        return Stream.of(
                Arguments.of("lenet nesterov", spec(Architecture.LENET, false, relu, BlockKind.BASIC, 0), mnist, nesterov, LR_SGD),
                Arguments.of("lenet-bn adam", spec(Architecture.LENET, true, relu, BlockKind.BASIC, 0), mnist, adam, LR_ADAM),
                Arguments.of("vgg-bn nesterov", spec(Architecture.VGG, true, ActivationKind.ELU, BlockKind.BASIC, 0), small, nesterov, LR_SGD));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("networks")
    void updatesMatchDl4j(String label, ModelSpec spec, ImageShape shape, Supplier<IUpdater> updater, double lr) {
        ComputationGraph dl4j = build(spec, shape, updater.get());
        ComputationGraph mirror = build(spec, shape, updater.get());
        try (OneDnnNetwork engine = compile(mirror, shape)) {
            for (int i = 0; i < STEPS; i++) {
                INDArray x = features(shape, BATCH, 1000 + i);
                INDArray y = labels(BATCH, 2000 + i);
                dl4j.fit(new DataSet(x, y));
                double score = engine.fit(x, y, lr);
                assertEquals(dl4j.score(), score, SCORE_TOLERANCE * Math.abs(dl4j.score()), label + " score at step " + i);
            }
            engine.copyTo(mirror);
        }
        assertEquals(dl4j.getIterationCount(), mirror.getIterationCount(), "iteration count");
        EngineFixtures.assertTrainableClose(dl4j, dl4j.params(), mirror.params(), PARAM_TOLERANCE, label + " parameters");
        EngineFixtures.assertParamsClose(dl4j, dl4j.params(), mirror.params(), STATS_TOLERANCE, true,
                label + " running statistics");
        INDArray s1 = dl4j.getUpdater().getStateViewArray();
        INDArray s2 = mirror.getUpdater().getStateViewArray();
        double scale = s1.amaxNumber().doubleValue();
        double err = s1.sub(s2).amaxNumber().doubleValue();
        assertTrue(err <= PARAM_TOLERANCE * scale, label + " updater state differs by " + err + " (max " + scale + ")");
    }

    /** The small LeNet with batch normalization the update-path tests train. */
    private static final ImageShape SMALL = new ImageShape(12, 12, 1);
    private static final ModelSpec LENET_BN = spec(Architecture.LENET, true, ActivationKind.RELU, BlockKind.BASIC, 0);

    @Test
    void fitScoresAsGradientDoesAndUpdatesAsGradientThenUpdate() {
        INDArray x = features(SMALL, BATCH, 21);
        INDArray y = labels(BATCH, 22);
        for (IUpdater updater : new IUpdater[] {new Nesterovs(LR_SGD, 0.9), new Adam(LR_ADAM)}) {
            ComputationGraph net = build(LENET_BN, SMALL, updater);
            ComputationGraph fitted = build(LENET_BN, SMALL, updater.clone());
            ComputationGraph stepped = build(LENET_BN, SMALL, updater.clone());
            try (OneDnnNetwork a = compile(net, SMALL); OneDnnNetwork b = compile(net, SMALL)) {
                for (int step = 0; step < 3; step++) {
                    double fitScore = a.fit(x, y, 0.05);
                    double gradientScore = b.gradient(x, y);
                    b.update(0.05);
                    // The fused update sums the same squares in the same order as the separate L2 score.
                    assertEquals(gradientScore, fitScore, 0.0, updater + " step " + step);
                }
                a.copyTo(fitted);
                b.copyTo(stepped);
                assertArrayEquals(stepped.params().toFloatVector(), fitted.params().toFloatVector(), updater.toString());
                assertArrayEquals(stepped.getUpdater().getStateViewArray().toFloatVector(),
                        fitted.getUpdater().getStateViewArray().toFloatVector(), updater + " state");
            }
        }
    }

    @Test
    void aNonFiniteWeightOrRunningStatisticIsNoticedAfterTheUpdate() {
        INDArray x = features(SMALL, BATCH, 23);
        INDArray y = labels(BATCH, 24);
        for (String key : new String[] {"W", "b", "mean", "log10stdev"}) {
            ComputationGraph net = build(LENET_BN, SMALL, new Nesterovs(LR_SGD, 0.9));
            try (OneDnnNetwork engine = compile(net, SMALL)) {
                engine.fit(x, y, LR_SGD);
                assertTrue(engine.parametersFinite(), "finite before anything was broken");
                var layer = java.util.Arrays.stream(net.getLayers())
                        .filter(l -> l.paramTable().containsKey(key)).findFirst().orElseThrow();
                layer.paramTable().get(key).putScalar(0, key.equals("b") ? Double.POSITIVE_INFINITY : Double.NaN);
                engine.loadFrom(net);
                assertFalse(engine.parametersFinite(), key + ": loaded, before an update");
                engine.fit(x, y, LR_SGD);
                assertFalse(engine.parametersFinite(), key + ": after the update");
            }
        }
    }

    @Test
    void theRangesNoUpdateWritesAreTheComplement() {
        List<int[]> gaps = OneDnnNetwork.complement(List.of(new int[] {5, 3}, new int[] {0, 2}, new int[] {8, 1}), 12);
        assertEquals("[[2, 3], [9, 3]]", gaps.stream().map(java.util.Arrays::toString).toList().toString());
        assertTrue(OneDnnNetwork.complement(List.of(new int[] {0, 4}), 4).isEmpty());
    }

    @Test
    void dropoutMasksFollowTheSeedAndLeaveInferenceAlone() {
        ImageShape shape = new ImageShape(12, 12, 1);
        ModelSpec spec = spec(Architecture.ALEXNET, false, ActivationKind.RELU, BlockKind.BASIC, 0.5);
        INDArray x = features(shape, BATCH, 5);
        INDArray y = labels(BATCH, 6);
        ComputationGraph net = build(spec, shape, new Adam(LR_ADAM));
        try (OneDnnNetwork a = compile(net, shape); OneDnnNetwork b = compile(net, shape);
             OneDnnNetwork c = compile(net, shape)) {
            a.setDropoutSeed(7);
            b.setDropoutSeed(7);
            c.setDropoutSeed(8);
            double la = a.gradient(x, y);
            double lb = b.gradient(x, y);
            double lc = c.gradient(x, y);
            assertEquals(la, lb, 0.0, "same seed, same masks");
            assertArrayEquals(a.gradientCopy().toFloatVector(), b.gradientCopy().toFloatVector());
            assertFalse(la == lc, "another seed draws other masks");
            // Inference never drops: the engine's output equals DL4J's.
            double outErr = net.output(false, x)[0].sub(a.output(x)).amaxNumber().doubleValue();
            assertTrue(outErr <= 1e-5, "inference differs by " + outErr);
        }
    }

    @Test
    void refusesWhatItCannotRunNamingTheLayer() {
        ImageShape shape = new ImageShape(12, 12, 1);
        ComputationGraph net = build(spec(Architecture.LENET, false, ActivationKind.RELU, BlockKind.BASIC, 0), shape,
                new org.nd4j.linalg.learning.config.RmsProp(1e-3));
        UnsupportedGraphException e = org.junit.jupiter.api.Assertions.assertThrows(UnsupportedGraphException.class,
                () -> compile(net, shape).close());
        assertEquals("conv1", e.vertex());
        assertTrue(e.getMessage().contains("RmsProp"), e.getMessage());
    }
}
