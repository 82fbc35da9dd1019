package io.chorus.ensemble.heads;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import io.chorus.ensemble.testdata.TinyFashion;

class HeadEnsembleTest {

    private static final int HEADS = 3;
    private static final int BATCHES = 4;

    private static List<ComputationGraph> heads() {
        List<ComputationGraph> heads = new ArrayList<>();
        for (int k = 0; k < HEADS; k++) {
            heads.add(HeadTrainer.train(Members.trainFeatures(), Members.trainLabels(), TinyFashion.CLASSES,
                    new HeadSpec(1, 32, 2, 50, 0.01, 10 + k, true)));
        }
        return heads;
    }

    @Test
    void oneBackbonePassPerBatchWhateverTheNumberOfHeads() {
        ComputationGraph member = Members.batchNormDropout();
        Backbone backbone = new Backbone(member);
        Backbone reference = new Backbone(member);
        List<ComputationGraph> heads = heads();
        HeadEnsemble ensemble = new HeadEnsemble(backbone, heads);
        assertEquals(HEADS, ensemble.size());

        INDArray images = TinyFashion.all(TinyFashion.test(4 * 25)).getFeatures();
        for (int b = 0; b < BATCHES; b++) {
            INDArray batch = images.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(25L * b, 25L * (b + 1))).dup();
            List<INDArray> predictions = ensemble.predict(batch);
            assertEquals(HEADS, predictions.size());
            INDArray features = reference.features(batch);
            for (int k = 0; k < HEADS; k++) {
                INDArray p = predictions.get(k);
                assertArrayEquals(flat(heads.get(k).outputSingle(false, features)), flat(p), 0f,
                        "head " + k + " on batch " + b);
                INDArray rowSums = p.sum(1);
                assertTrue(rowSums.sub(1.0).amaxNumber().doubleValue() < 1e-5, "rows sum to 1: " + rowSums);
            }
        }
        assertEquals(BATCHES, backbone.passes(), "one backbone pass per batch, not per batch and head");
        // The heads differ (bootstrap samples and seeds differ), so the ensemble has something to combine.
        assertTrue(!heads.get(0).params().equals(heads.get(1).params()));
    }

    @Test
    void headsMustFitTheBackbone() {
        Backbone backbone = new Backbone(Members.batchNormDropout());
        assertThrows(IllegalArgumentException.class, () -> new HeadEnsemble(backbone, List.of()));
        long d = backbone.featureSize();
        ComputationGraph wrongWidth = HeadTrainer.train(Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, 8, d + 1),
                new int[] {0, 1, 2, 3, 4, 5, 6, 7}, TinyFashion.CLASSES, new HeadSpec(0, 1, 1, 8, 0.01, 1, false));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new HeadEnsemble(backbone, List.of(backbone.memberHead(), wrongWidth)));
        assertTrue(e.getMessage().startsWith("heads[1]") && e.getMessage().contains(Long.toString(d + 1)),
                e.getMessage());
    }

    private static float[] flat(INDArray a) {
        return a.dup('c').reshape(a.length()).toFloatVector();
    }
}
