package io.chorus.worker.engine.onednn;

import static io.chorus.worker.engine.onednn.OneDnn.check;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DST;
import static org.bytedeco.dnnl.global.dnnl.dnnl_eltwise_backward_primitive_desc_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_eltwise_elu;
import static org.bytedeco.dnnl.global.dnnl.dnnl_eltwise_elu_use_dst_for_bwd;
import static org.bytedeco.dnnl.global.dnnl.dnnl_eltwise_forward_primitive_desc_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_eltwise_relu;
import static org.bytedeco.dnnl.global.dnnl.dnnl_eltwise_relu_use_dst_for_bwd;
import static org.bytedeco.dnnl.global.dnnl.dnnl_forward_training;
import static org.bytedeco.dnnl.global.dnnl.dnnl_post_ops_append_eltwise;
import static org.bytedeco.dnnl.global.dnnl.dnnl_post_ops_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_attr_set_post_ops;

import io.chorus.worker.engine.onednn.NativeScope.Mem;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.dnnl.dnnl_post_ops;
import org.bytedeco.dnnl.dnnl_primitive_attr;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationELU;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationLReLU;
import org.nd4j.linalg.activations.impl.ActivationReLU;

/**
 * A DL4J activation as a oneDNN eltwise algorithm: ReLU, leaky ReLU (oneDNN's relu with alpha = slope)
 * and ELU. Every one of them has a "use dst for backward" variant, so the backward pass needs only the
 * activation's output: that is what lets an activation be fused into the convolution or inner product
 * before it as a post-op, and lets a standalone activation forget its input.
 */
record Eltwise(int forwardAlg, int backwardAlg, float alpha, String label) {

    /** The activation, or null for the identity; anything else cannot be compiled. */
    static Eltwise of(IActivation a, String vertex) {
        if (a == null || a instanceof ActivationIdentity) {
            return null;
        }
        if (a instanceof ActivationReLU r) {
            if (r.getMax() != null || r.getThreshold() != null || r.getNegativeSlope() != null) {
                throw new UnsupportedGraphException(vertex, "ReLU with max/threshold/negative slope is not supported");
            }
            return new Eltwise(dnnl_eltwise_relu, dnnl_eltwise_relu_use_dst_for_bwd, 0f, "relu");
        }
        if (a instanceof ActivationLReLU l) {
            if (!(l.getAlpha() >= 0)) {
                throw new UnsupportedGraphException(vertex, "leaky ReLU with a negative slope " + l.getAlpha());
            }
            return new Eltwise(dnnl_eltwise_relu, dnnl_eltwise_relu_use_dst_for_bwd, (float) l.getAlpha(), "leakyrelu");
        }
        if (a instanceof ActivationELU e) {
            if (!(e.getAlpha() >= 0)) {
                throw new UnsupportedGraphException(vertex, "ELU with a negative alpha " + e.getAlpha());
            }
            return new Eltwise(dnnl_eltwise_elu, dnnl_eltwise_elu_use_dst_for_bwd, (float) e.getAlpha(), "elu");
        }
        throw new UnsupportedGraphException(vertex, "activation " + a + " is not supported (relu, leakyrelu, elu, identity are)");
    }

    /** Whether this is ReLU without a slope (what batch normalization can fuse). */
    boolean isPlainRelu() {
        return forwardAlg == dnnl_eltwise_relu && alpha == 0f;
    }

    /** Sets this activation as the post-op of {@code attr}. */
    void appendTo(NativeScope scope, dnnl_primitive_attr attr) {
        dnnl_post_ops ops = new dnnl_post_ops();
        check(dnnl_post_ops_create(ops), "dnnl_post_ops_create");
        scope.own(ops);
        check(dnnl_post_ops_append_eltwise(ops, forwardAlg, alpha, 0f), "dnnl_post_ops_append_eltwise");
        check(dnnl_primitive_attr_set_post_ops(attr, ops), "dnnl_primitive_attr_set_post_ops");
    }

    /** Forward primitive descriptor of the standalone activation over {@code md}, with {@code attr} (may be null). */
    dnnl_primitive_desc forwardPd(NativeScope scope, int prop, dnnl_memory_desc md, dnnl_primitive_attr attr) {
        dnnl_primitive_desc pd = new dnnl_primitive_desc();
        check(dnnl_eltwise_forward_primitive_desc_create(pd, OneDnn.get().engine(), prop, backwardAlg, md, md,
                alpha, 0f, attr), "eltwise forward pd (" + label + ")");
        return scope.own(pd);
    }

    /**
     * Appends to the backward pass the gradient through this activation given its output {@code dst} and
     * the gradient {@code dy} at its output; returns the gradient at its input (layout of {@code dst}),
     * written into {@code into} when given (same layout as {@code dst}).
     */
    Mem backward(Plan.Builder b, Mem dst, Mem dy, dnnl_primitive_desc hint, Mem into) {
        NativeScope scope = b.scope;
        dnnl_memory_desc md = dst.desc();
        if (hint == null) {
            hint = forwardPd(scope, dnnl_forward_training, md, null);
        }
        Mem dyHere = b.as(dy, md, false);
        dnnl_primitive_desc pd = new dnnl_primitive_desc();
        check(dnnl_eltwise_backward_primitive_desc_create(pd, OneDnn.get().engine(), backwardAlg, md, md, md,
                alpha, 0f, hint, null), "eltwise backward pd (" + label + ")");
        scope.own(pd);
        Mem dx = into != null ? into : scope.memory(md);
        b.bwd(Step.primitive(scope, scope.primitive(pd, label + " backward"), label + " backward",
                DNNL_ARG_DST, dst, DNNL_ARG_DIFF_DST, dyHere, DNNL_ARG_DIFF_SRC, dx));
        return dx;
    }
}
