package io.chorus.worker.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.util.Map;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.convolution.ConvolutionLayer;
import org.deeplearning4j.nn.layers.convolution.subsampling.SubsamplingLayer;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNBatchNormHelper;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNConvHelper;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNSubsamplingHelper;
import org.deeplearning4j.nn.layers.normalization.BatchNormalization;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;

import io.chorus.worker.data.ImageShape;
import io.chorus.worker.zoo.ActivationKind;
import io.chorus.worker.zoo.Architecture;
import io.chorus.worker.zoo.BlockKind;
import io.chorus.worker.zoo.ModelSpec;
import io.chorus.worker.zoo.ModelZoo;
import io.chorus.worker.zoo.WeightInitKind;

/**
 * Guards the workaround for DL4J M2.1's disabled oneDNN helpers: fails if the helpers are not in use,
 * and checks they compute what DL4J's reference path computes.
 */
class EngineHelpersTest {
    static final ImageShape MNIST = new ImageShape(28, 28, 1);

    static ModelSpec spec(Architecture arch, boolean batchnorm) {
        return new ModelSpec(arch, WeightInitKind.HE, 0.01, ActivationKind.RELU, batchnorm, 0.0, 1, 8, BlockKind.BASIC);
    }

    static ComputationGraph build(ModelSpec spec) {
        return ModelZoo.build(spec, MNIST, 10, 5, new Sgd(0.01), 0);
    }

    @Test
    void everyConvolutionPoolingAndBatchNormLayerRunsOnOneDnnWithoutFallingBack() throws Exception {
        assertTrue(Engine.oneDnnInLibrary(), "the loaded nd4j-native build has oneDNN switched on");
        assertTrue(Engine.ensureHelpers(), "DL4J's oneDNN helpers are enabled");
        ComputationGraph net = build(spec(Architecture.LENET, true));
        int conv = 0;
        int pool = 0;
        int bn = 0;
        for (Layer l : net.getLayers()) {
            if (l instanceof ConvolutionLayer) {
                assertTrue(l.getHelper() instanceof MKLDNNConvHelper, l.conf().getLayer().getLayerName());
                conv++;
            } else if (l instanceof SubsamplingLayer) {
                assertTrue(l.getHelper() instanceof MKLDNNSubsamplingHelper, l.conf().getLayer().getLayerName());
                pool++;
            } else if (l instanceof BatchNormalization) {
                assertTrue(l.getHelper() instanceof MKLDNNBatchNormHelper, l.conf().getLayer().getLayerName());
                bn++;
            }
        }
        assertEquals(2, conv);
        assertEquals(2, pool);
        assertTrue(bn >= 2);
        for (int i = 0; i < 3; i++) {
            net.fit(batch(16, i));
        }
        for (Layer l : net.getLayers()) {
            if (l.getHelper() != null) {
                assertEquals(0, helperFailures(l), "layer " + l.conf().getLayer().getLayerName() + " fell back to Java");
            }
        }
    }

    @Test
    void gradientsMatchDl4jsReferencePathForLeNetAndABatchNormNetwork() {
        for (ModelSpec s : new ModelSpec[] {spec(Architecture.LENET, false), spec(Architecture.RESNET, true)}) {
            Engine.ensureHelpers();
            ComputationGraph fast = build(s);
            ComputationGraph reference = withoutHelpers(() -> build(s));
            assertNull(firstHelper(reference), "the reference network has no helpers");
            assertTrue(firstHelper(fast) != null, "the fast network has helpers");
            assertEquals(reference.params(), fast.params(), "same initialization");

            org.nd4j.linalg.dataset.DataSet ds = batch(32, 7);
            Map<String, INDArray> g = gradients(fast, ds);
            Map<String, INDArray> r = gradients(reference, ds);
            assertEquals(r.keySet(), g.keySet());
            for (String k : r.keySet()) {
                double norm = r.get(k).norm2Number().doubleValue();
                double diff = r.get(k).sub(g.get(k)).norm2Number().doubleValue();
                assertTrue(diff <= 1e-4 * Math.max(norm, 1e-6), s.arch() + " " + k + ": relative error " + diff / norm);
            }
        }
    }

    static Map<String, INDArray> gradients(ComputationGraph net, org.nd4j.linalg.dataset.DataSet ds) {
        net.setInputs(ds.getFeatures());
        net.setLabels(ds.getLabels());
        net.computeGradientAndScore();
        Map<String, INDArray> out = new java.util.TreeMap<>();
        net.gradient().gradientForVariable().forEach((k, v) -> out.put(k, v.dup()));
        return out;
    }

    static ComputationGraph withoutHelpers(java.util.function.Supplier<ComputationGraph> build) {
        String before = System.getProperty(Engine.HELPERS_DISABLE);
        System.setProperty(Engine.HELPERS_DISABLE, "true");
        try {
            return build.get();
        } finally {
            System.setProperty(Engine.HELPERS_DISABLE, before == null ? "false" : before);
        }
    }

    static Object firstHelper(ComputationGraph net) {
        for (Layer l : net.getLayers()) {
            if (l.getHelper() != null) {
                return l.getHelper();
            }
        }
        return null;
    }

    static org.nd4j.linalg.dataset.DataSet batch(int n, long seed) {
        Nd4j.getRandom().setSeed(seed);
        INDArray x = Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, n, 1, 28, 28);
        INDArray y = Nd4j.zeros(org.nd4j.linalg.api.buffer.DataType.FLOAT, n, 10);
        for (int i = 0; i < n; i++) {
            y.putScalar(i, (i * 7 + seed) % 10, 1f);
        }
        return new org.nd4j.linalg.dataset.DataSet(x, y);
    }

    static int helperFailures(Layer l) throws ReflectiveOperationException {
        for (Class<?> c = l.getClass(); c != null; c = c.getSuperclass()) {
            try {
                Field f = c.getDeclaredField("helperCountFail");
                f.setAccessible(true);
                return f.getInt(l);
            } catch (NoSuchFieldException e) {
                // look further up
            }
        }
        throw new NoSuchFieldException("helperCountFail on " + l.getClass());
    }
}
