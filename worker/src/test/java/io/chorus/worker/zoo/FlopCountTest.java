package io.chorus.worker.zoo;

import io.chorus.worker.data.ImageShape;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.learning.config.Sgd;

import static org.junit.jupiter.api.Assertions.assertEquals;

class FlopCountTest {

    private static FlopCount count(ModelSpec spec, int side) {
        ComputationGraphConfiguration conf = ModelZoo.configure(spec, new ImageShape(side, side, 1), 10, 1,
                new Sgd(0.1), 0);
        return FlopCount.of(conf, InputType.convolutional(side, side, 1));
    }

    @Test
    void lenetMultiplyAddsByHand() {
        // conv1 24x24x20 outputs of 5x5x1, conv2 8x8x50 of 5x5x20, fc1 800->500, output 500->10
        long conv1 = 24L * 24 * 20 * 25;
        long macs = conv1 + 8L * 8 * 50 * 5 * 5 * 20 + 800L * 500 + 500L * 10;
        FlopCount f = count(new ModelSpec(Architecture.LENET, WeightInitKind.HE, 0.01, ActivationKind.RELU,
                false, 0, 2, 16, BlockKind.BASIC), 28);
        assertEquals(2.0 * macs, f.forward(), 1e-6);
        assertEquals(2.0 * conv1, f.firstLayer(), 1e-6);
        assertEquals(3 * 2.0 * macs - 2.0 * conv1, f.training(), 1e-6);
        assertEquals(13.18e6, f.training(), 0.01e6);
    }

    @Test
    void resnetCountsEveryConvolutionIncludingProjections() {
        // stem 3x3 1->16 at 28x28; stage 1: 4 convs 3x3 16->16 at 28x28; stage 2 (14x14): 3x3 16->32,
        // 3x3 32->32 x3, 1x1 projection 16->32; stage 3 (7x7): 3x3 32->64, 3x3 64->64 x3, 1x1 32->64; fc 64->10
        long macs = 28L * 28 * 16 * 9
                + 4 * 28L * 28 * 16 * 16 * 9
                + 14L * 14 * 32 * 16 * 9 + 3 * 14L * 14 * 32 * 32 * 9 + 14L * 14 * 32 * 16
                + 7L * 7 * 64 * 32 * 9 + 3 * 7L * 7 * 64 * 64 * 9 + 7L * 7 * 64 * 32
                + 64L * 10;
        FlopCount f = count(new ModelSpec(Architecture.RESNET, WeightInitKind.HE, 0.01, ActivationKind.RELU,
                true, 0, 2, 16, BlockKind.BASIC), 28);
        assertEquals(2.0 * macs, f.forward(), 1e-6);
        assertEquals(2.0 * 28 * 28 * 16 * 9, f.firstLayer(), 1e-6);
    }
}
