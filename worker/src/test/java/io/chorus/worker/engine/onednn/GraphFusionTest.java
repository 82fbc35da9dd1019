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
 * Which layers the compiler fuses: batch normalization with the plain ReLU that alone reads it (never a
 * leaky ReLU or ELU), a residual add with any activation that alone reads it. That the fused ops compute
 * DL4J's loss, gradients and outputs is {@link OneDnnNetworkGradientTest}'s and
 * {@link OneDnnNetworkStepTest}'s (ReLU, leaky ReLU and ELU networks).
 */
class GraphFusionTest {
    private static final ImageShape MNIST = new ImageShape(28, 28, 1);

    @Test
    void batchNormalizationAndTheResidualAddTakeInTheReluAfterThem() {
        List<Op> ops = ops(Architecture.RESNET, ActivationKind.RELU);
        assertTrue(ops.stream().anyMatch(o -> o instanceof BatchNormOp bn && bn.reluOutput() != null),
                "no batch normalization fused with its ReLU in " + ops);
        assertTrue(ops.stream().anyMatch(o -> o instanceof AddOp add && add.activation() != null),
                "no residual add fused with its ReLU in " + ops);
        assertTrue(ops.stream().noneMatch(o -> o instanceof ActivationOp), "an activation layer is left in " + ops);
        everyInputProduced(ops);
    }

    @Test
    void eluAndLeakyReluStayOutOfBatchNormalizationButJoinTheAdd() {
        for (ActivationKind kind : new ActivationKind[] {ActivationKind.ELU, ActivationKind.LEAKYRELU}) {
            List<Op> ops = ops(Architecture.RESNET, kind);
            assertEquals(0, ops.stream().filter(o -> o instanceof BatchNormOp bn && bn.reluOutput() != null).count(),
                    kind + " fused into batch normalization");
            assertTrue(ops.stream().anyMatch(o -> o instanceof ActivationOp), kind + " layers disappeared");
            assertTrue(ops.stream().anyMatch(o -> o instanceof AddOp add && add.activation() != null),
                    kind + " not fused into the add");
            everyInputProduced(ops);
        }
    }

    private static void everyInputProduced(List<Op> ops) {
        for (Op op : ops) {
            for (String in : op.inputs()) {
                assertTrue(produced(ops, in), op.name() + " reads " + in + ", which no op produces any more");
            }
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
