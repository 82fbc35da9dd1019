package io.chorus.driver.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.util.List;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import io.chorus.driver.scoring.Scoring;
import io.chorus.ensemble.heads.Backbone;
import io.chorus.worker.data.BatchSource;
import io.chorus.worker.data.DataFiles;
import io.chorus.worker.data.ImageData;
import io.chorus.worker.data.Normalization;
import io.chorus.worker.engine.onednn.OneDnnNetwork;
import io.chorus.worker.fs.HadoopFiles;
import io.chorus.worker.zoo.ActivationKind;
import io.chorus.worker.zoo.Architecture;
import io.chorus.worker.zoo.BlockKind;
import io.chorus.worker.zoo.ModelSpec;
import io.chorus.worker.zoo.ModelZoo;
import io.chorus.worker.zoo.WeightInitKind;

/**
 * Scoring on the engine: a zoo network's probabilities equal DL4J's (1e-5) at a batch and the odd last
 * one, and so do a head's and MC dropout's on the engine's backbone features; a network the engine cannot compile is scored by DL4J (bit for bit its output); the engine network
 * is compiled once per copy and kept, one per concurrent lease, and freed when the cache drops it, at
 * once for idle copies and at the lease's close for lent ones.
 */
class ScoringEngineTest {
    static final Configuration CONF = new Configuration();
    static final int BATCH = 16;
    static ImageData images;
    static Normalization norm;

    @TempDir
    File tmp;

    @BeforeAll
    static void data() throws IOException {
        images = DataFiles.loadTest("/usr/share/datasets/fashion-mnist", 10, CONF).limit(2 * BATCH + 5);
        norm = Normalization.fit(images);
    }

    @AfterEach
    void clear() {
        ModelStore.clear();
    }

    private String[] write(ComputationGraph net, String name) throws IOException {
        Path target = new Path(tmp.getAbsolutePath(), name);
        FileSystem fs = HadoopFiles.fileSystem(target, CONF);
        return new String[] {target.toString(), ModelStore.write(net, fs, target)};
    }

    private static ComputationGraph resnet() {
        ModelSpec spec = new ModelSpec(Architecture.RESNET, WeightInitKind.HE, 0.01, ActivationKind.RELU, true, 0.0, 1, 8,
                BlockKind.BASIC);
        return ModelZoo.build(spec, images.shape(), 10, 3, new Nesterovs(0.01, 0.9), 0.0);
    }

    /** Average pooling: the engine refuses it (only max pooling). */
    private static ComputationGraph averagePooling() {
        var conf = new NeuralNetConfiguration.Builder().seed(5).graphBuilder().addInputs("in")
                .addLayer("conv", new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.RELU).build(), "in")
                .addLayer("pool", new SubsamplingLayer.Builder(PoolingType.AVG).kernelSize(2, 2).stride(2, 2).build(), "conv")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(10)
                        .activation(Activation.SOFTMAX).build(), "pool")
                .setOutputs("out")
                .setInputTypes(InputType.convolutional(28, 28, 1))
                .build();
        ComputationGraph net = new ComputationGraph(conf);
        net.init();
        return net;
    }

    private static float[] score(String scope, String[] file) throws IOException {
        Scoring.Result r = Scoring.score(scope, List.of(Scoring.Model.plain("m", file[0], file[1], norm)), images, 0,
                images.size(), BATCH, 1, 10, CONF);
        return r.probs().get("m");
    }

    private static double maxDifference(ComputationGraph net, float[] probs) {
        double worst = 0;
        for (int first = 0; first < images.size(); first += BATCH) {
            int end = Math.min(images.size(), first + BATCH);
            INDArray x = BatchSource.toDataSet(images, norm, first, end).getFeatures();
            float[][] expected = net.output(false, x)[0].toFloatMatrix();
            for (int i = 0; i < expected.length; i++) {
                for (int c = 0; c < 10; c++) {
                    worst = Math.max(worst, Math.abs(expected[i][c] - probs[(first + i) * 10 + c]));
                }
            }
        }
        return worst;
    }

    @Test
    void aZooNetworkIsScoredOnTheEngineAsDl4jScoresIt() throws IOException {
        ComputationGraph net = resnet();
        String[] file = write(net, "resnet.zip");
        float[] probs = score("engine", file);
        double worst = maxDifference(net, probs);
        assertTrue(worst <= 1e-5, "engine probabilities differ from DL4J's by " + worst);
        assertTrue(worst > 0, "the scores came from DL4J (bitwise equal), not from the engine");
        try (ModelStore.Lease lease = ModelStore.borrow("engine", file[0], file[1], CONF)) {
            assertNotNull(lease.engine(images.shape()), "the zoo network compiles");
        }
    }

    @Test
    void headsAndMcDropoutReadTheBackboneFromTheEngine() throws IOException {
        ComputationGraph member = resnet();
        String[] memberFile = write(member, "member.zip");
        String[] headFile = write(new Backbone(member).memberHead(), "head.zip");
        Scoring.Model backbone = Scoring.Model.plain("member", memberFile[0], memberFile[1], norm);
        // The member's own head on its backbone, and MC dropout of a member without dropout: both are the
        // member's own output.
        List<Scoring.Model> models = List.of(new Scoring.Model("head", headFile[0], headFile[1], norm, backbone, 0, 0),
                new Scoring.Model("mcd", memberFile[0], memberFile[1], norm, null, 2, 9));
        Scoring.Result r = Scoring.score("heads", models, images, 0, images.size(), BATCH, 1, 10, CONF);
        for (String id : List.of("head", "mcd")) {
            double worst = maxDifference(member, r.probs().get(id));
            assertTrue(worst <= 1e-5, id + " probabilities differ from the member's by " + worst);
            assertTrue(worst > 0, id + ": the features came from DL4J (bitwise equal), not from the engine");
        }
    }

    @Test
    void aNetworkTheEngineRefusesIsScoredByDl4j() throws IOException {
        ComputationGraph net = averagePooling();
        String[] file = write(net, "avg.zip");
        try (ModelStore.Lease lease = ModelStore.borrow("refused", file[0], file[1], CONF)) {
            assertNull(lease.engine(images.shape()), "average pooling is not compiled");
        }
        assertEquals(0.0, maxDifference(net, score("refused", file)), "DL4J's own floats");
    }

    @Test
    void theEngineNetworkIsCompiledOncePerCopyAndFreedWhenTheCacheDropsIt() throws IOException {
        String[] file = write(resnet(), "resnet.zip");
        OneDnnNetwork first;
        try (ModelStore.Lease lease = ModelStore.borrow("s", file[0], file[1], CONF)) {
            first = lease.engine(images.shape());
            assertSame(first, lease.engine(images.shape()));
        }
        ModelStore.Lease a = ModelStore.borrow("s", file[0], file[1], CONF);
        ModelStore.Lease b = ModelStore.borrow("s", file[0], file[1], CONF);
        assertSame(first, a.engine(images.shape()), "the idle copy comes back with its engine network");
        OneDnnNetwork second = b.engine(images.shape());
        assertNotSame(first, second, "a concurrent lease has a copy and an engine network of its own");
        b.close();
        assertEquals(1, ModelStore.idleEngines());

        INDArray x = BatchSource.toDataSet(images, norm, 0, 2).getFeatures();
        ModelStore.load("another scope", file[0], file[1], CONF);
        assertEquals(0, ModelStore.idleEngines(), "the idle copy's engine network is freed with the cache");
        assertThrows(IllegalStateException.class, () -> second.output(x), "freed");
        first.output(x); // still lent out: usable until its lease closes
        a.close();
        assertThrows(IllegalStateException.class, () -> first.output(x), "freed when the lease came back");
        assertEquals(0, ModelStore.idleEngines(), "not put back into the cache that dropped it");
    }

    @Test
    void theSystemPropertyKeepsScoringOnDl4j() throws IOException {
        ComputationGraph net = resnet();
        String[] file = write(net, "resnet.zip");
        System.setProperty(ModelStore.ENGINE_PROPERTY, "dl4j");
        try {
            assertEquals(0.0, maxDifference(net, score("dl4j", file)), "DL4J's own floats");
        } finally {
            System.clearProperty(ModelStore.ENGINE_PROPERTY);
        }
    }
}
