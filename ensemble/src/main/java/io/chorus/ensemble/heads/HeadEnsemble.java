package io.chorus.ensemble.heads;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Several classifier heads sharing one frozen backbone: the backbone runs once per batch of images and
 * each head once on its features, so K heads cost one backbone pass plus K head passes rather than K
 * full networks.
 *
 * <p>Heads are used in inference mode and never modified. Not thread-safe.
 */
public final class HeadEnsemble {

    private final Backbone backbone;
    private final List<ComputationGraph> heads;

    /**
     * @param backbone the shared backbone
     * @param heads    at least one head; each takes one input of the backbone's {@link Backbone#featureSize()}
     *                 features (as {@link HeadTrainer} and {@link Backbone#memberHead()} build them) and has
     *                 one output
     * @throws IllegalArgumentException if {@code heads} is empty or a head does not fit the backbone
     */
    public HeadEnsemble(Backbone backbone, List<ComputationGraph> heads) {
        this.backbone = Objects.requireNonNull(backbone, "backbone");
        Objects.requireNonNull(heads, "heads");
        if (heads.isEmpty()) {
            throw new IllegalArgumentException("heads must not be empty");
        }
        List<ComputationGraph> copy = new ArrayList<>(heads.size());
        for (int k = 0; k < heads.size(); k++) {
            ComputationGraph head = heads.get(k);
            if (head == null) {
                throw new IllegalArgumentException("heads[" + k + "] is null");
            }
            HeadChecks.requireFits(head, backbone.featureSize(), "heads[" + k + "]");
            copy.add(head);
        }
        this.heads = List.copyOf(copy);
    }

    /** Number of heads. */
    public int size() {
        return heads.size();
    }

    /**
     * Each head's softmax probabilities for {@code images}, {@code [N, classes]} per head, in the order of
     * the heads. One backbone pass in total.
     */
    public List<INDArray> predict(INDArray images) {
        INDArray features = backbone.features(images);
        List<INDArray> out = new ArrayList<>(heads.size());
        for (ComputationGraph head : heads) {
            // A copy per head: in inference mode some DL4J layers (ActivationLayer) work in place on their
            // input, which must not leak into the next head's features.
            out.add(head.outputSingle(false, features.dup()));
        }
        return List.copyOf(out);
    }
}
