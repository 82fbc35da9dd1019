package io.chorus.worker.engine.onednn;

import static io.chorus.worker.engine.onednn.EngineFixtures.build;
import static io.chorus.worker.engine.onednn.EngineFixtures.compile;
import static io.chorus.worker.engine.onednn.EngineFixtures.features;
import static io.chorus.worker.engine.onednn.EngineFixtures.labels;
import static io.chorus.worker.engine.onednn.EngineFixtures.spec;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chorus.worker.data.ImageShape;
import io.chorus.worker.zoo.ActivationKind;
import io.chorus.worker.zoo.Architecture;
import io.chorus.worker.zoo.BlockKind;
import io.chorus.worker.zoo.ModelSpec;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.stream.Stream;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;

/**
 * What the engine writes back is a DL4J network: after some engine updates (full batches and an odd
 * last one), {@code copyTo} and a ModelSerializer zip, DL4J's inference on the restored network equals
 * the engine's own to 1e-5, and an engine compiled from the restored network continues bitwise equal to
 * the one that wrote it (parameters, running statistics, updater state, iteration count).
 */
class OneDnnSnapshotTest {
    static final int BATCH = 16;
    static final int ODD = 5;

    static Stream<Arguments> networks() {
        ImageShape mnist = new ImageShape(28, 28, 1);
        ImageShape small = new ImageShape(12, 12, 1);
        return Stream.of(
                Arguments.of("resnet-bn nesterov", spec(Architecture.RESNET, true, ActivationKind.RELU, BlockKind.BASIC, 0), mnist,
                        new Nesterovs(0.05, 0.9), 0.05),
                Arguments.of("alexnet-bn dropout adam", spec(Architecture.ALEXNET, true, ActivationKind.RELU, BlockKind.BASIC, 0.5), small,
                        new Adam(1e-3), 1e-3));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("networks")
    void snapshotLoadsInDl4jAndResumesBitwise(String label, ModelSpec spec, ImageShape shape, IUpdater updater, double lr)
            throws IOException {
        ComputationGraph net = build(spec, shape, updater);
        INDArray probe = features(shape, 7, 99);
        try (OneDnnNetwork engine = compile(net, shape)) {
            for (int i = 0; i < 4; i++) {
                int n = i == 3 ? ODD : BATCH;
                engine.setDropoutSeed(31 + i);
                engine.fit(features(shape, n, 100 + i), labels(n, 200 + i), lr);
            }
            engine.copyTo(net);
            ByteArrayOutputStream zip = new ByteArrayOutputStream();
            ModelSerializer.writeModel(net, zip, true);
            ComputationGraph restored = ModelSerializer.restoreComputationGraph(new ByteArrayInputStream(zip.toByteArray()), true);
            assertEquals(4, restored.getIterationCount());

            double err = restored.output(false, probe)[0].sub(engine.output(probe)).amaxNumber().doubleValue();
            assertTrue(err <= 1e-5, label + ": DL4J on the snapshot differs from the engine by " + err);

            try (OneDnnNetwork resumed = compile(restored, shape)) {
                assertEquals(engine.iteration(), resumed.iteration());
                for (int i = 4; i < 7; i++) {
                    int n = i == 6 ? ODD : BATCH;
                    INDArray x = features(shape, n, 100 + i);
                    INDArray y = labels(n, 200 + i);
                    engine.setDropoutSeed(31 + i);
                    resumed.setDropoutSeed(31 + i);
                    assertEquals(engine.fit(x, y, lr), resumed.fit(x, y, lr), 0.0, label + " score at step " + i);
                }
                ComputationGraph a = net.clone();
                ComputationGraph b = restored.clone();
                engine.copyTo(a);
                resumed.copyTo(b);
                assertArrayEquals(a.params().data().asFloat(), b.params().data().asFloat(), label + " parameters");
                assertArrayEquals(a.getUpdater().getStateViewArray().data().asFloat(),
                        b.getUpdater().getStateViewArray().data().asFloat(), label + " updater state");
                assertEquals(7, b.getIterationCount());
            }
        }
    }
}
