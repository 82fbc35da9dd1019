package io.chorus.worker.zoo;

import static io.chorus.worker.zoo.ZooFixtures.configure;
import static io.chorus.worker.zoo.ZooFixtures.spec;
import static io.chorus.worker.zoo.ZooFixtures.withDropout;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chorus.worker.data.ImageShape;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.dropout.Dropout;
import org.deeplearning4j.nn.conf.dropout.IDropout;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Dropout sits exactly on the inputs of the head's fully connected layers after the first one (or on
 * the output layer's input when the head has no hidden layer), with DL4J's retain probability 1 - p.
 */
class ModelZooDropoutTest {

    private static final ImageShape SHAPE = new ImageShape(12, 12, 1);

    /** Where dropout is documented to go, per architecture. */
    private static Set<String> expectedLayers(Architecture arch) {
        return switch (arch) {
            case ALEXNET -> Set.of("fc2", ModelZoo.OUTPUT);
            case LENET, VGG, GOOGLENET, RESNET -> Set.of(ModelZoo.OUTPUT);
        };
    }

    @ParameterizedTest(name = "{0} batchnorm={1} dropout={2}")
    @CsvSource({
        "LENET, false, 0.5", "LENET, true, 0.2",
        "ALEXNET, false, 0.5", "ALEXNET, true, 0.5",
        "VGG, false, 0.5", "VGG, true, 0.3",
        "GOOGLENET, false, 0.5",
        "RESNET, true, 0.5", "RESNET, false, 0.1"})
    void dropoutOnDocumentedLayersWithRetainProbability(Architecture arch, boolean batchnorm, double p) {
        Map<String, IDropout> dropouts = dropouts(configure(withDropout(spec(arch, batchnorm), p), SHAPE));
        assertEquals(expectedLayers(arch), dropouts.keySet());
        for (Map.Entry<String, IDropout> e : dropouts.entrySet()) {
            Dropout d = assertInstanceOf(Dropout.class, e.getValue(), e.getKey());
            assertEquals(1 - p, d.getP(), 1e-12, "retain probability of " + e.getKey());
        }
    }

    @ParameterizedTest
    @EnumSource(Architecture.class)
    void noDropoutWhenOff(Architecture arch) {
        assertTrue(dropouts(configure(withDropout(spec(arch, true), 0.0), SHAPE)).isEmpty());
    }

    private static Map<String, IDropout> dropouts(ComputationGraphConfiguration conf) {
        Map<String, IDropout> found = new TreeMap<>();
        for (Map.Entry<String, GraphVertex> e : conf.getVertices().entrySet()) {
            if (e.getValue() instanceof LayerVertex lv) {
                IDropout d = lv.getLayerConf().getLayer().getIDropout();
                if (d != null) {
                    found.put(e.getKey(), d);
                }
            }
        }
        return found;
    }
}
