package io.chorus.worker.zoo;

import static io.chorus.worker.zoo.ZooFixtures.UPDATER;
import static io.chorus.worker.zoo.ZooFixtures.spec;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chorus.worker.data.ImageShape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Bad arguments are rejected up front, and the message names the field and the value. */
class ModelZooValidationTest {

    private static final ImageShape SHAPE = new ImageShape(28, 28, 1);

    private static ModelSpec vgg(double initSigma, WeightInitKind init, double dropout, int depth, int width) {
        return new ModelSpec(Architecture.VGG, init, initSigma, ActivationKind.RELU, false, dropout, depth, width,
                BlockKind.BASIC);
    }

    private static void assertRejected(Executable call, String field, String value) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(field), "message names " + field + ": " + e.getMessage());
        assertTrue(e.getMessage().contains(value), "message shows " + value + ": " + e.getMessage());
    }

    private static Executable configure(ModelSpec spec) {
        return () -> ModelZoo.configure(spec, SHAPE, 10, 1L, UPDATER, 0.0);
    }

    @Test
    void dropoutMustBeADropProbabilityBelowOne() {
        assertRejected(configure(vgg(0.01, WeightInitKind.HE, 1.0, 2, 16)), "dropout", "1.0");
        assertRejected(configure(vgg(0.01, WeightInitKind.HE, -0.1, 2, 16)), "dropout", "-0.1");
        assertRejected(configure(vgg(0.01, WeightInitKind.HE, Double.NaN, 2, 16)), "dropout", "NaN");
        assertDoesNotThrow(configure(vgg(0.01, WeightInitKind.HE, 0.0, 2, 16)));
        assertDoesNotThrow(configure(vgg(0.01, WeightInitKind.HE, 0.99, 2, 16)));
    }

    @Test
    void depthAndWidthMustBePositive() {
        assertRejected(configure(vgg(0.01, WeightInitKind.HE, 0, 0, 16)), "depth", "0");
        assertRejected(configure(vgg(0.01, WeightInitKind.HE, 0, 2, -3)), "width", "-3");
    }

    @Test
    void initSigmaMustBePositiveOnlyForNormal() {
        assertRejected(configure(vgg(0.0, WeightInitKind.NORMAL, 0, 2, 16)), "initSigma", "0.0");
        assertRejected(configure(vgg(-1.0, WeightInitKind.NORMAL, 0, 2, 16)), "initSigma", "-1.0");
        assertDoesNotThrow(configure(vgg(0.0, WeightInitKind.HE, 0, 2, 16)));
        assertDoesNotThrow(configure(vgg(0.0, WeightInitKind.XAVIER, 0, 2, 16)));
    }

    @Test
    void numClassesAtLeastTwo() {
        assertRejected(() -> ModelZoo.configure(spec(Architecture.LENET, false), SHAPE, 1, 1L, UPDATER, 0.0),
                "numClasses", "1");
    }

    @Test
    void imageSidesAtMost4096() {
        assertRejected(() -> ModelZoo.configure(spec(Architecture.LENET, false), new ImageShape(4097, 28, 1), 10, 1L,
                UPDATER, 0.0), "height", "4097");
        assertRejected(() -> ModelZoo.configure(spec(Architecture.LENET, false), new ImageShape(28, 5000, 1), 10, 1L,
                UPDATER, 0.0), "width", "5000");
    }

    @Test
    void missingEnumsAndBadL2() {
        assertRejected(configure(new ModelSpec(null, WeightInitKind.HE, 0, ActivationKind.RELU, false, 0, 2, 16,
                BlockKind.BASIC)), "arch", "null");
        assertRejected(configure(new ModelSpec(Architecture.VGG, null, 0, ActivationKind.RELU, false, 0, 2, 16,
                BlockKind.BASIC)), "init", "null");
        assertRejected(configure(new ModelSpec(Architecture.VGG, WeightInitKind.HE, 0, null, false, 0, 2, 16,
                BlockKind.BASIC)), "activation", "null");
        assertRejected(configure(new ModelSpec(Architecture.RESNET, WeightInitKind.HE, 0, ActivationKind.RELU, true,
                0, 2, 16, null)), "block", "null");
        assertRejected(() -> ModelZoo.configure(spec(Architecture.LENET, false), SHAPE, 10, 1L, UPDATER, -1e-4),
                "l2", "-1.0E-4");
    }
}
