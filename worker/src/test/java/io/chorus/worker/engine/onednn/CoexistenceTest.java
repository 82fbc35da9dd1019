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
import io.chorus.worker.engine.Engine;
import io.chorus.worker.zoo.ActivationKind;
import io.chorus.worker.zoo.Architecture;
import io.chorus.worker.zoo.BlockKind;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Nesterovs;

/**
 * oneDNN 3.8 (through the bytedeco preset, with JavaCPP pinned to 1.5.12) and ND4J 1.0.0-M2.1 in one JVM:
 * DL4J training interleaved with oneDNN forward and backward passes gives bitwise the same parameters as
 * DL4J training alone, DL4J's own oneDNN helpers stay attached, and the loaded oneDNN is 3.8.
 */
class CoexistenceTest {

    @Test
    void dl4jTrainsBitwiseTheSameWhileOneDnnRuns() {
        ImageShape shape = new ImageShape(12, 12, 1);
        var spec = spec(Architecture.LENET, true, ActivationKind.RELU, BlockKind.BASIC, 0);
        ComputationGraph alone = build(spec, shape, new Nesterovs(0.05, 0.9));
        ComputationGraph interleaved = build(spec, shape, new Nesterovs(0.05, 0.9));
        assertTrue(Engine.ensureHelpers(), "DL4J's oneDNN helpers are attached");
        assertTrue(OneDnn.version().startsWith("3.8."), "oneDNN version " + OneDnn.version());

        try (OneDnnNetwork engine = compile(build(spec, shape, new Nesterovs(0.05, 0.9)), shape)) {
            for (int i = 0; i < 5; i++) {
                INDArray x = features(shape, 16, 100 + i);
                INDArray y = labels(16, 200 + i);
                alone.fit(new DataSet(x, y));
                double engineScore = engine.fit(x, y, 0.05);
                interleaved.fit(new DataSet(x, y));
                assertTrue(Double.isFinite(engineScore), "engine score " + engineScore);
                assertEquals(alone.score(), interleaved.score(), 0.0, "DL4J's score at iteration " + i);
            }
        }
        assertArrayEquals(alone.params().toFloatVector(), interleaved.params().toFloatVector(),
                "DL4J's parameters after 5 updates, bitwise");
    }
}
