package io.chorus.worker.train;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What a member's initialization does to the signal, measured: each layer's output standard deviation on
 * one batch before any update (the Xavier/He argument), and each layer's gradient norm over the first
 * updates (vanishing or exploding gradients).
 *
 * <p>Activations are taken in training mode, as the first update sees them: batch-normalization layers
 * normalize with the batch's statistics and dropout is on. Nothing is updated: the running statistics of
 * batch normalization live in its parameters and change only in the optimizer step. Gradients are the raw minibatch gradients of the loss, before weight decay and the optimizer's update
 * rule; batch-normalization running statistics are not trainable parameters and are left out.
 *
 * @param examples   images in the batch the activations were measured on
 * @param iterations updates whose gradient norms were recorded
 * @param layers     every layer in topological order
 */
public record InitDiagnostics(int examples, int iterations, List<LayerStats> layers) {

    /** Updates whose gradients are recorded. */
    public static final int GRADIENT_ITERATIONS = 20;

    private static final Set<String> NOT_TRAINABLE = Set.of("mean", "var", "log10stdev");

    /**
     * @param name          the layer's vertex name in the graph
     * @param kind          DL4J's layer class, e.g. {@code ConvolutionLayer}
     * @param activationStd standard deviation of the layer's output at initialization
     * @param gradientNorm  L2 norm of the layer's parameter gradient at each recorded update; empty for
     *                      layers without trainable parameters (pooling, activation)
     */
    public record LayerStats(String name, String kind, double activationStd, List<Double> gradientNorm) {
    }

    /** Measures the activations of the freshly initialized {@code net} on {@code features}. */
    public static InitDiagnostics atInitialization(ComputationGraph net, INDArray features) {
        Map<String, INDArray> out = net.feedForward(new INDArray[] {features}, true, true);
        List<LayerStats> layers = new ArrayList<>();
        for (String name : net.getConfiguration().getTopologicalOrderStr()) {
            Layer layer = net.getLayer(name);
            INDArray a = out.get(name);
            if (layer == null || a == null) {
                continue;
            }
            String kind = layer.conf().getLayer().getClass().getSimpleName();
            layers.add(new LayerStats(name, kind, a.stdNumber().doubleValue(), new ArrayList<>()));
        }
        return new InitDiagnostics((int) features.size(0), 0, layers);
    }

    /**
     * A listener that appends the gradient norms of the next {@link #GRADIENT_ITERATIONS} updates to
     * these diagnostics' layers. It only reads the gradient, so training is unchanged by it.
     */
    public GradientRecorder gradientRecorder() {
        return new GradientRecorder(this);
    }

    /** Records gradient norms; {@link #result()} gives the diagnostics with the count filled in. */
    public static final class GradientRecorder extends BaseTrainingListener {
        private final InitDiagnostics base;
        private int recorded;

        GradientRecorder(InitDiagnostics base) {
            this.base = base;
            this.recorded = base.iterations();
        }

        @Override
        public void onGradientCalculation(Model model) {
            if (recorded >= GRADIENT_ITERATIONS) {
                return;
            }
            Map<String, Double> squares = new LinkedHashMap<>();
            for (Map.Entry<String, INDArray> e : model.gradient().gradientForVariable().entrySet()) {
                String key = e.getKey();
                int cut = key.lastIndexOf('_');
                if (cut < 0 || NOT_TRAINABLE.contains(key.substring(cut + 1))) {
                    continue;
                }
                double n = e.getValue().norm2Number().doubleValue();
                squares.merge(key.substring(0, cut), n * n, Double::sum);
            }
            record(squares);
        }

        /**
         * Records one update's gradient from its squared norms per layer name (trainable parameters only, at
         * DL4J's scale: the sum over the minibatch), as the oneDNN engine reports them.
         */
        public void record(Map<String, Double> squares) {
            if (recorded >= GRADIENT_ITERATIONS) {
                return;
            }
            for (LayerStats l : base.layers()) {
                Double sq = squares.get(l.name());
                if (sq != null) {
                    l.gradientNorm().add(Math.sqrt(sq));
                }
            }
            recorded++;
        }

        /** True once {@link #GRADIENT_ITERATIONS} updates are recorded. */
        public boolean done() {
            return recorded >= GRADIENT_ITERATIONS;
        }

        public InitDiagnostics result() {
            return new InitDiagnostics(base.examples(), recorded, base.layers());
        }
    }
}
