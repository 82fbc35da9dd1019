package io.chorus.worker.zoo;

/**
 * Everything that shapes a member's network, independent of the data it will see.
 *
 * @param arch       which network
 * @param init       weight initialization
 * @param initSigma  standard deviation of {@link WeightInitKind#NORMAL}; ignored otherwise
 * @param activation hidden-unit nonlinearity
 * @param batchnorm  batch normalization after every convolution (and hidden dense layer)
 * @param dropout    probability of DROPPING a unit before each fully connected layer (0 = off);
 *                   inverted dropout, so kept units are scaled by 1/(1-dropout) during training
 * @param depth      architecture-specific depth: convolutions per VGG stage, blocks per ResNet
 *                   stage, inception modules per GoogLeNet stage; ignored by LeNet and AlexNet
 * @param width      base channel count of the first stage (VGG, ResNet, GoogLeNet, AlexNet);
 *                   ignored by LeNet, whose widths are the classic 20/50/500
 * @param block      residual block kind of ResNet
 */
public record ModelSpec(Architecture arch, WeightInitKind init, double initSigma, ActivationKind activation,
                        boolean batchnorm, double dropout, int depth, int width, BlockKind block)
        implements java.io.Serializable {
}
