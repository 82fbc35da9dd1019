package io.chorus.ensemble.heads;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import io.chorus.ensemble.testdata.TinyFashion;

class McDropoutTest {

    private static final int PASSES = 20;

    private static INDArray images() {
        return TinyFashion.all(TinyFashion.test(100)).getFeatures();
    }

    @Test
    void headWithoutDropoutGivesExactlyItsDeterministicOutput() {
        Backbone backbone = new Backbone(Members.batchNormDropout());
        ComputationGraph head = HeadTrainer.train(Members.trainFeatures(), Members.trainLabels(), TinyFashion.CLASSES,
                new HeadSpec(1, 32, 1, 50, 0.01, 5, false));
        INDArray x = images();
        INDArray deterministic = head.outputSingle(false, backbone.features(x));
        INDArray mc = McDropout.predict(backbone, head, x, PASSES, 99);
        assertEquals(DataType.FLOAT, mc.dataType());
        assertArrayEquals(flat(deterministic), flat(mc), 0f);
        assertEquals(2, backbone.passes(), "one backbone pass per call, whatever the number of head passes");
    }

    @Test
    void headWithDropoutAveragesStochasticPassesRepeatably() {
        Backbone backbone = new Backbone(Members.plainDropout());
        ComputationGraph head = backbone.memberHead();
        INDArray headBefore = head.params().dup();
        INDArray x = images();
        INDArray deterministic = head.outputSingle(false, backbone.features(x));

        INDArray mc = McDropout.predict(backbone, head, x, PASSES, 99);
        INDArray again = McDropout.predict(backbone, head, x, PASSES, 99);
        INDArray otherSeed = McDropout.predict(backbone, head, x, PASSES, 100);

        assertArrayEquals(deterministic.shape(), mc.shape());
        double moved = mc.castTo(DataType.DOUBLE).sub(deterministic.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
        assertTrue(moved > 1e-3, "dropout at 0.5 must move the averaged probabilities, moved " + moved);
        INDArray rowSums = mc.castTo(DataType.DOUBLE).sum(1);
        assertTrue(rowSums.sub(1.0).amaxNumber().doubleValue() < 1e-5, "rows sum to 1: " + rowSums);
        assertTrue(mc.minNumber().doubleValue() >= 0);
        assertArrayEquals(flat(mc), flat(again), 0f, "same seed, same result");
        assertFalse(Arrays.equals(flat(mc), flat(otherSeed)), "another seed, other masks");
        assertArrayEquals(flat(headBefore), flat(head.params()), 0f, "the head is not changed");
        assertEquals(4, backbone.passes());
    }

    @Test
    void batchNormInTheHeadKeepsItsGlobalStatistics() {
        // fc1_bn sits in this head: the stochastic passes normalize with batch statistics but must not move
        // the stored ones.
        Backbone backbone = new Backbone(Members.batchNormDropout());
        ComputationGraph head = backbone.memberHead();
        INDArray before = head.params().dup();
        INDArray x = images();
        INDArray mc = McDropout.predict(backbone, head, x, 5, 1);
        assertArrayEquals(flat(before), flat(head.params()), 0f);
        INDArray rowSums = mc.castTo(DataType.DOUBLE).sum(1);
        assertTrue(rowSums.sub(1.0).amaxNumber().doubleValue() < 1e-5, "rows sum to 1: " + rowSums);
    }

    @Test
    void atLeastOnePass() {
        Backbone backbone = new Backbone(Members.plainDropout());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> McDropout.predict(backbone, backbone.memberHead(), images(), 0, 1));
        assertTrue(e.getMessage().startsWith("passes"), e.getMessage());
    }

    private static float[] flat(INDArray a) {
        return a.dup('c').reshape(a.length()).toFloatVector();
    }
}
