package io.chorus.worker.zoo;

import static io.chorus.worker.zoo.ZooFixtures.CLASSES;
import static io.chorus.worker.zoo.ZooFixtures.build;
import static io.chorus.worker.zoo.ZooFixtures.randomBatch;
import static io.chorus.worker.zoo.ZooFixtures.spec;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chorus.worker.data.ImageShape;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/**
 * Every architecture, at the sizes Chorus trains on, must build, give a probability distribution per
 * example, and take a training step that actually moves its weights.
 */
class ModelZooTrainStepTest {

    private static final int BATCH = 4;

    static Stream<Arguments> cases() {
        List<Arguments> cases = new ArrayList<>();
        ImageShape mnist = new ImageShape(28, 28, 1);
        ImageShape tiny = new ImageShape(8, 8, 1);
        ImageShape oblong = new ImageShape(12, 20, 3);
        for (Architecture arch : Architecture.values()) {
            cases.add(Arguments.of(spec(arch, false), mnist));
            cases.add(Arguments.of(spec(arch, false), tiny));
            cases.add(Arguments.of(spec(arch, true), tiny));
            cases.add(Arguments.of(spec(arch, true), oblong));
            // Below the supported range on purpose: the shape rules must still give a valid graph.
            cases.add(Arguments.of(spec(arch, true), new ImageShape(3, 5, 1)));
        }
        cases.add(Arguments.of(spec(Architecture.RESNET, true), mnist));
        cases.add(Arguments.of(spec(Architecture.RESNET, true), new ImageShape(32, 32, 3)));
        cases.add(Arguments.of(ZooFixtures.withBlock(spec(Architecture.RESNET, true), BlockKind.BOTTLENECK), tiny));
        cases.add(Arguments.of(ZooFixtures.withBlock(spec(Architecture.RESNET, false), BlockKind.BOTTLENECK),
                oblong));
        cases.add(Arguments.of(spec(Architecture.LENET, false), new ImageShape(12, 20, 1)));
        cases.add(Arguments.of(ZooFixtures.withActivation(
                ZooFixtures.withDropout(spec(Architecture.ALEXNET, true), 0.5), ActivationKind.LEAKYRELU), tiny));
        cases.add(Arguments.of(ZooFixtures.withActivation(
                ZooFixtures.withDropout(spec(Architecture.VGG, false), 0.3), ActivationKind.ELU), tiny));
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("cases")
    void outputsDistributionAndTrains(ModelSpec spec, ImageShape shape) {
        ComputationGraph net = build(spec, shape);
        DataSet batch = randomBatch(shape, BATCH);

        INDArray out = net.outputSingle(batch.getFeatures());
        assertArrayEquals(new long[] {BATCH, CLASSES}, out.shape());
        for (int i = 0; i < BATCH; i++) {
            INDArray row = out.getRow(i);
            assertEquals(1.0, row.sumNumber().doubleValue(), 1e-4, "row " + i + " sums to 1: " + row);
            assertTrue(row.minNumber().doubleValue() >= 0, "probabilities are non-negative: " + row);
        }

        INDArray before = net.params().dup();
        net.fit(batch);
        assertTrue(Double.isFinite(net.score()), "finite loss after one step, got " + net.score());
        INDArray after = net.params();
        assertNotEquals(before, after, "one step must change the parameters");
        // NaN or infinity anywhere propagates into the sum.
        assertTrue(Double.isFinite(after.sumNumber().doubleValue()), "parameters stay finite");
    }
}
