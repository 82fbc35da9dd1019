package io.chorus.worker.engine.onednn;

import static io.chorus.worker.engine.onednn.EngineFixtures.build;
import static io.chorus.worker.engine.onednn.EngineFixtures.compile;
import static io.chorus.worker.engine.onednn.EngineFixtures.features;
import static io.chorus.worker.engine.onednn.EngineFixtures.labels;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.chorus.worker.data.ImageShape;
import io.chorus.worker.zoo.ActivationKind;
import io.chorus.worker.zoo.Architecture;
import io.chorus.worker.zoo.BlockKind;
import io.chorus.worker.zoo.ModelSpec;
import io.chorus.worker.zoo.WeightInitKind;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Nesterovs;

/**
 * Throughput of the engine vs DL4J (a measurement, not a test; skipped unless -Dchorus.bench=true):
 * training img/s at batch 64 and inference img/s at batch 500, LeNet and the small BN ResNet on 28x28x1.
 */
class EngineThroughputBench {

    @Test
    void measure() {
        assumeTrue(Boolean.getBoolean("chorus.bench"), "a benchmark: run with -Dchorus.bench=true");
        ImageShape s = new ImageShape(28, 28, 1);
        run("lenet", new ModelSpec(Architecture.LENET, WeightInitKind.HE, 0.01, ActivationKind.RELU, false, 0, 2, 16, BlockKind.BASIC), s);
        run("resnet-bn", new ModelSpec(Architecture.RESNET, WeightInitKind.HE, 0.01, ActivationKind.RELU, true, 0, 2, 16, BlockKind.BASIC), s);
    }

    private static void run(String label, ModelSpec spec, ImageShape s) {
        ComputationGraph net = build(spec, s, new Nesterovs(0.01, 0.9));
        INDArray x = features(s, 64, 1);
        INDArray y = labels(64, 2);
        INDArray big = features(s, 500, 3);
        int steps = 40;
        try (OneDnnNetwork engine = compile(net, s)) {
            for (int i = 0; i < 5; i++) {
                engine.fit(x, y, 0.01);
            }
            long t = System.nanoTime();
            for (int i = 0; i < steps; i++) {
                engine.fit(x, y, 0.01);
            }
            double train = steps * 64 / ((System.nanoTime() - t) / 1e9);
            engine.output(big);
            t = System.nanoTime();
            for (int i = 0; i < 5; i++) {
                engine.output(big);
            }
            double infer = 5 * 500 / ((System.nanoTime() - t) / 1e9);
            System.out.printf("BENCH %s engine: train %.0f img/s, inference %.0f img/s%n", label, train, infer);
        }
        DataSet ds = new DataSet(x, y);
        for (int i = 0; i < 5; i++) {
            net.fit(ds);
        }
        long t = System.nanoTime();
        for (int i = 0; i < steps; i++) {
            net.fit(ds);
        }
        double train = steps * 64 / ((System.nanoTime() - t) / 1e9);
        net.output(false, big);
        t = System.nanoTime();
        for (int i = 0; i < 5; i++) {
            net.output(false, big);
        }
        double infer = 5 * 500 / ((System.nanoTime() - t) / 1e9);
        System.out.printf("BENCH %s dl4j: train %.0f img/s, inference %.0f img/s%n", label, train, infer);
    }
}
