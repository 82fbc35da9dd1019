package io.chorus.worker.train.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Path;
import java.util.stream.Stream;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;
import org.nd4j.linalg.schedule.ISchedule;

/**
 * The schedules live inside DL4J updater configurations, so they must survive DL4J's own JSON and model-zip
 * round trips; otherwise a snapshot restored on another executor would silently train with a different
 * (or no) schedule.
 */
class ScheduleSerializationTest {

    static Stream<ISchedule> schedules() {
        return Stream.of(new CosineSchedule(0.1, 12), new CyclicCosineSchedule(0.1, 12, 3), new CosineHoldSchedule(0.1, 12, 8),
                LearningRateSchedules.create(ScheduleKind.CONSTANT, 0.1, 4, 3, 1, 1, 1.0),
                LearningRateSchedules.create(ScheduleKind.STEP, 0.1, 4, 3, 1, 2, 0.5));
    }

    @ParameterizedTest
    @MethodSource("schedules")
    void survivesComputationGraphConfigurationJson(ISchedule schedule) {
        ComputationGraphConfiguration conf = tinyGraph(new Nesterovs(schedule, 0.9));
        String json = conf.toJson();
        assertTrue(json.contains(schedule.getClass().getName()), "JSON should name the schedule class: " + json);

        ComputationGraphConfiguration restored = ComputationGraphConfiguration.fromJson(json);
        Nesterovs updater = assertInstanceOf(Nesterovs.class, updaterOf(restored));
        ISchedule restoredSchedule = updater.getLearningRateSchedule();
        assertNotSame(schedule, restoredSchedule);
        assertEquals(schedule, restoredSchedule);
        assertEquals(0.9, updater.getMomentum(), 0.0);
        for (int i = 0; i < 12; i++) {
            assertEquals(schedule.valueAt(i, i / 4), restoredSchedule.valueAt(i, i / 4), 0.0, "iteration " + i);
        }
        assertEquals(conf, restored);
    }

    @Test
    void survivesMultiLayerConfigurationJsonInsideAdam() {
        CyclicCosineSchedule schedule = new CyclicCosineSchedule(0.01, 100, 4);
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
                .seed(7)
                .updater(new Adam(schedule))
                .list()
                .layer(new OutputLayer.Builder(LossFunction.MSE).nIn(3).nOut(2).activation(Activation.IDENTITY).build())
                .build();
        MultiLayerConfiguration restored = MultiLayerConfiguration.fromJson(conf.toJson());
        BaseLayer layer = (BaseLayer) restored.getConf(0).getLayer();
        Adam adam = assertInstanceOf(Adam.class, layer.getIUpdater());
        assertEquals(schedule, adam.getLearningRateSchedule());
    }

    /**
     * Trains three minibatches, saves the graph with its updater, restores it, and checks that the restored
     * network both carries the same schedule and reports the rate for its persisted iteration counter.
     * For {@code CyclicCosineSchedule(0.1, 12, 3)} after 3 iterations (cycle length 4) DL4J asks for
     * iteration 3, the last of the first cycle: {@code 0.05 * (1 - sqrt(2)/2)}.
     */
    @Test
    void survivesModelSerializerRoundTrip(@TempDir Path dir) throws Exception {
        CyclicCosineSchedule schedule = new CyclicCosineSchedule(0.1, 12, 3);
        ComputationGraph net = new ComputationGraph(tinyGraph(new Nesterovs(schedule, 0.9)));
        net.init();
        Nd4j.getRandom().setSeed(11);
        DataSet batch = new DataSet(Nd4j.rand(DataType.FLOAT, 5, 3), Nd4j.rand(DataType.FLOAT, 5, 2));
        for (int i = 0; i < 3; i++) {
            net.fit(batch);
        }
        assertEquals(3, net.getIterationCount());

        File file = dir.resolve("member.zip").toFile();
        ModelSerializer.writeModel(net, file, true);
        ComputationGraph restored = ModelSerializer.restoreComputationGraph(file, true);

        Nesterovs updater = assertInstanceOf(Nesterovs.class, updaterOf(restored.getConfiguration()));
        assertEquals(schedule, updater.getLearningRateSchedule());
        assertEquals(3, restored.getIterationCount());
        assertEquals(0.0146446609406726238, restored.getLearningRate("out"), 1e-12);
        assertEquals(net.params(), restored.params());
        assertEquals(net.getUpdater().getStateViewArray(), restored.getUpdater().getStateViewArray());
    }

    private static ComputationGraphConfiguration tinyGraph(IUpdater updater) {
        return new NeuralNetConfiguration.Builder()
                .seed(7)
                .updater(updater)
                .graphBuilder()
                .addInputs("in")
                .addLayer("out", new OutputLayer.Builder(LossFunction.MSE)
                        .nIn(3).nOut(2).activation(Activation.IDENTITY).build(), "in")
                .setOutputs("out")
                .build();
    }

    private static IUpdater updaterOf(ComputationGraphConfiguration conf) {
        LayerVertex vertex = (LayerVertex) conf.getVertices().get("out");
        return ((BaseLayer) vertex.getLayerConf().getLayer()).getIUpdater();
    }
}
