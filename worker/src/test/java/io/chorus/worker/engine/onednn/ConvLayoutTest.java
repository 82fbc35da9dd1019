package io.chorus.worker.engine.onednn;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The convolution's layout rule: channels-last where the ISA's channel blocks would pad the work by more
 * than 15%, oneDNN's choice elsewhere. The layouts themselves are checked against DL4J by
 * {@link OneDnnNetworkGradientTest} (LeNet's convolutions run channels-last, the ResNet's blocked).
 */
class ConvLayoutTest {

    @Test
    void paddedChannelsGoChannelsLast() {
        assertTrue(ConvOp.channelsLast(20, 50, 16), "LeNet conv2: 32 x 64 against 20 x 50");
        assertTrue(ConvOp.channelsLast(1, 20, 16), "LeNet conv1: 20 output channels padded to 32");
        assertTrue(ConvOp.channelsLast(20, 50, 8), "with AVX2 blocks of 8: 24 x 56 is 34% more");
    }

    @Test
    void channelCountsThatFillTheirBlocksStayBlocked() {
        assertFalse(ConvOp.channelsLast(16, 32, 16), "ResNet 16 -> 32");
        assertFalse(ConvOp.channelsLast(64, 64, 16), "ResNet 64 -> 64");
        assertFalse(ConvOp.channelsLast(1, 16, 16), "a first layer's single input channel is read plain");
        assertFalse(ConvOp.channelsLast(3, 64, 16), "three input channels are read plain too");
        assertFalse(ConvOp.channelsLast(60, 120, 16), "64 x 128 is 13.8% more: under the threshold");
        assertTrue(ConvOp.channelsLast(100, 200, 16), "112 x 208 is 16.5% more: over it");
    }
}
