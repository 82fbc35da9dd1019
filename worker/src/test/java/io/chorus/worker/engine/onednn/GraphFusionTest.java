package io.chorus.worker.engine.onednn;

import static io.chorus.worker.engine.onednn.EngineFixtures.build;
import static io.chorus.worker.engine.onednn.EngineFixtures.compile;
import static io.chorus.worker.engine.onednn.EngineFixtures.spec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chorus.worker.data.ImageShape;
import io.chorus.worker.zoo.ActivationKind;
import io.chorus.worker.zoo.Architecture;
import io.chorus.worker.zoo.BlockKind;
import io.chorus.worker.zoo.ModelZoo;
import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.learning.config.Sgd;

/**
 * Which layers the compiler fuses: batch normalization with the plain ReLU that alone reads it; never a
 * leaky ReLU or ELU, nor a ReLU after something else. That the fused ops compute DL4J's loss, gradients
 * and outputs is {@link OneDnnNetworkGradientTest}'s (its BN networks use ReLU).
 */
class GraphFusionTest {
    private static final ImageShape MNIST = new ImageShape(28, 28, 1);

    @Test
    void batchNormalizationTakesInTheReluAfterIt() {
        List<Op> ops = ops(Architecture.RESNET, ActivationKind.RELU);
        long fused = ops.stream().filter(o -> o instanceof BatchNormOp bn && bn.reluOutput() != null).count();
        assertTrue(fused > 0, "no batch normalization fused with its ReLU in " + ops);
        for (Op op : ops) {
            if (op instanceof ActivationOp a) {
                // What is left reads an addition (the residual join), not a batch normalization.
                assertTrue(ops.stream().noneMatch(o -> o instanceof BatchNormOp && o.output().equals(a.input())),
                        a.name() + " reads a batch normalization and was not fused");
            }
        }
        for (Op op : ops) {
            for (String in : op.inputs()) {
                assertTrue(produced(ops, in), op.name() + " reads " + in + ", which no op produces any more");
            }
        }
    }

    @Test
    void eluAndLeakyReluStaySeparate() {
        for (ActivationKind kind : new ActivationKind[] {ActivationKind.ELU, ActivationKind.LEAKYRELU}) {
            List<Op> ops = ops(Architecture.LENET, kind);
            assertEquals(0, ops.stream().filter(o -> o instanceof BatchNormOp bn && bn.reluOutput() != null).count(),
                    kind + " fused");
            assertTrue(ops.stream().anyMatch(o -> o instanceof ActivationOp), kind + " layers disappeared");
        }
    }

    private static boolean produced(List<Op> ops, String tensor) {
        return tensor.equals(ModelZoo.INPUT) || ops.stream().anyMatch(o -> o.output().equals(tensor));
    }

    private static List<Op> ops(Architecture arch, ActivationKind act) {
        ComputationGraph net = build(spec(arch, true, act, BlockKind.BASIC, 0), MNIST, new Sgd(0.0));
        try (OneDnnNetwork engine = compile(net, MNIST)) {
            return engine.graph().ops();
        }
    }
}
