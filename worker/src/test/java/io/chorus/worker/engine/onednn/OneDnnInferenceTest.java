package io.chorus.worker.engine.onednn;

import static io.chorus.worker.engine.onednn.EngineFixtures.build;
import static io.chorus.worker.engine.onednn.EngineFixtures.compile;
import static io.chorus.worker.engine.onednn.EngineFixtures.features;
import static io.chorus.worker.engine.onednn.EngineFixtures.spec;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chorus.worker.data.ImageShape;
import io.chorus.worker.zoo.ActivationKind;
import io.chorus.worker.zoo.Architecture;
import io.chorus.worker.zoo.BlockKind;
import io.chorus.worker.zoo.ModelSpec;
import io.chorus.worker.zoo.ModelZoo;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.Sgd;

/**
 * Inference plans, whose activations share one arena per network: for every architecture of the zoo the
 * probabilities at a full batch and at an odd remainder, and the backbone's features, equal DL4J's (1e-5);
 * the arena is smaller than the activations would be with a buffer each; plans of several batch sizes
 * interleaved (the arena growing and every plan moved into the bigger one) and run from another thread
 * give the same floats bit for bit; a plan is built per thread count.
 */
class OneDnnInferenceTest {
    static final double TOLERANCE = 1e-5;
    static final int BATCH = 24;
    static final int REMAINDER = 5;

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> networks() {
        return OneDnnNetworkGradientTest.networks();
    }

    @ParameterizedTest(name = "{0} on {2}")
    @MethodSource("networks")
    void probabilitiesAndFeaturesMatchDl4jAtABatchAndAnOddRemainder(String label, ModelSpec spec, ImageShape shape) {
        ComputationGraph net = build(spec, shape, new Sgd(0.0));
        // Move the running statistics off their initial 0/1 so that inference really uses them.
        for (int i = 0; i < 3; i++) {
            net.fit(new org.nd4j.linalg.dataset.DataSet(features(shape, 16, 30 + i), EngineFixtures.labels(16, 40 + i)));
        }
        INDArray all = features(shape, BATCH + REMAINDER, 21);
        try (OneDnnNetwork engine = compile(net, shape)) {
            for (int[] r : new int[][] {{0, BATCH}, {BATCH, BATCH + REMAINDER}}) {
                INDArray x = all.get(NDArrayIndex.interval(r[0], r[1])).dup();
                INDArray expected = net.output(false, x)[0];
                double err = expected.sub(engine.output(x)).amaxNumber().doubleValue();
                assertTrue(err <= TOLERANCE, label + " probabilities of " + x.size(0) + " images differ by " + err);

                INDArray dl4jFeatures = net.feedForward(new INDArray[] {x}, false).get(ModelZoo.FEATURES);
                dl4jFeatures = dl4jFeatures.reshape(dl4jFeatures.size(0), -1);
                INDArray engineFeatures = engine.activations(x, ModelZoo.FEATURES);
                assertArrayEquals(dl4jFeatures.shape(), engineFeatures.shape(), label + " features shape");
                double scale = Math.max(1.0, dl4jFeatures.amaxNumber().doubleValue());
                double ferr = dl4jFeatures.sub(engineFeatures).amaxNumber().doubleValue();
                assertTrue(ferr <= TOLERANCE * scale, label + " features of " + x.size(0) + " images differ by " + ferr
                        + " (largest " + scale + ")");
            }
        }
    }

    private static ComputationGraph relu(Architecture arch, boolean bn, ImageShape shape) {
        return build(spec(arch, bn, ActivationKind.RELU, BlockKind.BASIC, 0), shape, new Sgd(0.0));
    }

    @Test
    void theArenaIsSmallerThanABufferPerActivation() {
        ImageShape mnist = new ImageShape(28, 28, 1);
        ComputationGraph net = relu(Architecture.RESNET, true, mnist);
        try (OneDnnNetwork engine = compile(net, mnist)) {
            engine.output(features(mnist, 100, 3));
            long separate = engine.inferenceTransientBytes(100);
            long arena = engine.inferenceArenaBytes();
            // The fixtures' ResNet is 8 channels wide: an activation of its first stage is 100 x 8 x 28 x 28
            // floats (2.5 MB); a residual block needs at most its input, one intermediate and its output (plus
            // a reorder) at once, not the ~30 activations of the whole pass.
            long oneMap = 100L * 8 * 28 * 28 * Float.BYTES;
            System.out.printf("resnet-basic-bn at batch 100: arena %d bytes, %d with a buffer per activation%n",
                    arena, separate);
            assertTrue(arena < separate / 4, "arena " + arena + " bytes against " + separate + " with a buffer each");
            assertTrue(arena <= 5 * oneMap, "arena " + arena + " bytes, more than five first-stage maps (" + oneMap + ")");
        }
    }

    @Test
    void interleavedBatchSizesAndAnotherThreadGiveTheSameFloats() throws Exception {
        ImageShape small = new ImageShape(12, 12, 1);
        ComputationGraph net = relu(Architecture.GOOGLENET, true, small);
        INDArray big = features(small, 40, 5);
        INDArray odd = features(small, 3, 6);
        INDArray tiny = features(small, 1, 7);
        try (OneDnnNetwork engine = compile(net, small)) {
            // Smallest first: every later plan grows the arena and moves the earlier ones into it.
            float[] tinyFirst = engine.output(tiny).data().asFloat();
            float[] oddFirst = engine.output(odd).data().asFloat();
            float[] featuresFirst = engine.activations(odd, ModelZoo.FEATURES).data().asFloat();
            long before = engine.inferenceArenaBytes();
            engine.prepareInference(40);
            assertTrue(engine.inferenceArenaBytes() > before, "preparing the plan for 40 images grows the arena");
            float[] bigFirst = engine.output(big).data().asFloat();
            long arena = engine.inferenceArenaBytes();
            assertArrayEquals(tinyFirst, engine.output(tiny).data().asFloat(), "batch of 1 after the arena grew");
            assertArrayEquals(oddFirst, engine.output(odd).data().asFloat(), "batch of 3 after the arena grew");
            assertArrayEquals(featuresFirst, engine.activations(odd, ModelZoo.FEATURES).data().asFloat(), "features");
            assertEquals(arena, engine.inferenceArenaBytes(), "no growth for plans already built");
            ExecutorService other = Executors.newSingleThreadExecutor();
            try {
                Future<float[]> f = other.submit(() -> {
                    io.chorus.worker.train.NativeThreads.set(1);
                    return engine.output(big).data().asFloat();
                });
                assertArrayEquals(bigFirst, f.get(), "batch of 40 run from another thread");
            } finally {
                other.shutdownNow();
            }
        }
    }

    @Test
    void anotherThreadCountGetsAPlanOfItsOwn() {
        ImageShape mnist = new ImageShape(28, 28, 1);
        ComputationGraph net = relu(Architecture.LENET, false, mnist);
        INDArray x = features(mnist, 8, 2);
        try (OneDnnNetwork engine = compile(net, mnist)) {
            io.chorus.worker.train.NativeThreads.set(1);
            float[] one = engine.output(x).data().asFloat();
            io.chorus.worker.train.NativeThreads.set(2);
            engine.output(x);
            assertEquals(2, engine.inferencePlans(), "a plan per thread count");
            io.chorus.worker.train.NativeThreads.set(1);
            assertArrayEquals(one, engine.output(x).data().asFloat(), "the one-thread plan again");
            assertEquals(2, engine.inferencePlans());
        } finally {
            io.chorus.worker.train.NativeThreads.set(1);
        }
    }

    @Test
    void aVertexNoOpProducesIsRefusedByName() {
        ImageShape mnist = new ImageShape(28, 28, 1);
        ComputationGraph net = relu(Architecture.LENET, false, mnist);
        try (OneDnnNetwork engine = compile(net, mnist)) {
            UnsupportedGraphException e = assertThrows(UnsupportedGraphException.class,
                    () -> engine.activations(features(mnist, 2, 1), "no-such-vertex"));
            assertTrue(e.getMessage().contains("no-such-vertex"), e.getMessage());
        }
    }
}
