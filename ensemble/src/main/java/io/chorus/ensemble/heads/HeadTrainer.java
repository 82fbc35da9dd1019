package io.chorus.ensemble.heads;

import java.util.Objects;
import java.util.SplittableRandom;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import io.chorus.worker.Seeds;
import io.chorus.worker.engine.Engine;
import io.chorus.worker.zoo.ModelZoo;

/**
 * Trains a fresh classifier head on precomputed backbone features.
 *
 * <p>The head is a {@link ComputationGraph} with input {@value ModelZoo#FEATURES} ({@code [N, d]}),
 * {@link HeadSpec#layers()} hidden fully connected layers {@code fc1, fc2, ...} of
 * {@link HeadSpec#hidden()} units (ReLU, bias, He normal initialization), and a softmax output layer
 * {@value ModelZoo#OUTPUT} trained with multi-class cross-entropy (Xavier initialization); all biases
 * start at 0. No dropout, no batch normalization, no weight decay. The optimizer is SGD with Nesterov
 * momentum 0.9 at the constant rate {@link HeadSpec#lr()}; the data type is FLOAT.
 *
 * <p>Training runs {@link HeadSpec#epochs()} epochs of minibatches of {@link HeadSpec#batch()} examples;
 * the order of each epoch is a permutation drawn from (seed, epoch), and with
 * {@link HeadSpec#bootstrap()} the examples are first replaced by n draws with replacement made from the
 * seed. Initialization also comes from the seed, so the same inputs and spec give the same head (bit for
 * bit with one ND4J thread).
 */
public final class HeadTrainer {

    private static final long SALT_ORDER = 0x484541444f524445L; // "HEADORDE"
    private static final long SALT_BOOTSTRAP = 0x48454144424f4f54L; // "HEADBOOT"
    private static final double MOMENTUM = 0.9;

    private HeadTrainer() {
    }

    /**
     * @param features   {@code [n, d]} backbone features, floating point, n and d at least 1
     * @param labels     class of each of the n examples, in {@code [0, numClasses)}
     * @param numClasses number of classes, at least 2
     * @param spec       the head and its training
     * @return the trained head
     * @throws IllegalArgumentException naming the offending argument
     */
    public static ComputationGraph train(INDArray features, int[] labels, int numClasses, HeadSpec spec) {
        Objects.requireNonNull(features, "features");
        Objects.requireNonNull(labels, "labels");
        Objects.requireNonNull(spec, "spec");
        if (features.rank() != 2 || features.size(0) < 1 || features.size(1) < 1) {
            throw new IllegalArgumentException("features must be a non-empty [n, d] matrix, got shape "
                    + java.util.Arrays.toString(features.shape()));
        }
        if (!features.dataType().isFPType()) {
            throw new IllegalArgumentException("features must be floating point, got " + features.dataType());
        }
        if (numClasses < 2) {
            throw new IllegalArgumentException("numClasses must be >= 2, got " + numClasses);
        }
        int n = Math.toIntExact(features.size(0));
        if (labels.length != n) {
            throw new IllegalArgumentException("labels has " + labels.length + " entries but features has " + n
                    + " rows");
        }
        for (int i = 0; i < n; i++) {
            if (labels[i] < 0 || labels[i] >= numClasses) {
                throw new IllegalArgumentException("labels[" + i + "] = " + labels[i] + " is outside [0, "
                        + numClasses + ")");
            }
        }

        ComputationGraph head = build(features.size(1), numClasses, spec);
        INDArray x = features.castTo(DataType.FLOAT);
        int[] base = new int[n];
        if (spec.bootstrap()) {
            SplittableRandom random = new SplittableRandom(Seeds.mix(SALT_BOOTSTRAP, spec.seed()));
            for (int i = 0; i < n; i++) {
                base[i] = random.nextInt(n);
            }
        } else {
            for (int i = 0; i < n; i++) {
                base[i] = i;
            }
        }
        for (int epoch = 0; epoch < spec.epochs(); epoch++) {
            int[] order = base.clone();
            SplittableRandom random = new SplittableRandom(Seeds.mix(SALT_ORDER, spec.seed(), epoch));
            for (int i = n - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            for (int from = 0; from < n; from += spec.batch()) {
                int to = Math.min(n, from + spec.batch());
                int[] rows = java.util.Arrays.copyOfRange(order, from, to);
                float[][] oneHot = new float[rows.length][numClasses];
                for (int k = 0; k < rows.length; k++) {
                    oneHot[k][labels[rows[k]]] = 1f;
                }
                head.fit(new DataSet(Nd4j.pullRows(x, 1, rows), Nd4j.create(oneHot)));
            }
        }
        return head;
    }

    /** The untrained head of {@code spec} for {@code inputs} features and {@code numClasses} classes. */
    static ComputationGraph build(long inputs, int numClasses, HeadSpec spec) {
        GraphBuilder graph = new NeuralNetConfiguration.Builder()
                .seed(spec.seed())
                .dataType(DataType.FLOAT)
                .updater(new Nesterovs(spec.lr(), MOMENTUM))
                .biasInit(0)
                .graphBuilder()
                .addInputs(ModelZoo.FEATURES)
                .setInputTypes(InputType.feedForward(inputs));
        String previous = ModelZoo.FEATURES;
        for (int i = 1; i <= spec.layers(); i++) {
            String name = "fc" + i;
            graph.addLayer(name, new DenseLayer.Builder()
                    .nOut(spec.hidden())
                    .activation(Activation.RELU)
                    .weightInit(WeightInit.RELU)
                    .build(), previous);
            previous = name;
        }
        graph.addLayer(ModelZoo.OUTPUT, new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                .nOut(numClasses)
                .activation(Activation.SOFTMAX)
                .weightInit(WeightInit.XAVIER)
                .build(), previous);
        graph.setOutputs(ModelZoo.OUTPUT);
        Engine.ensureHelpers();
        ComputationGraph net = new ComputationGraph(graph.build());
        net.init();
        return net;
    }
}
