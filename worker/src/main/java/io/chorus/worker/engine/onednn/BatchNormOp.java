package io.chorus.worker.engine.onednn;

import static io.chorus.worker.engine.onednn.OneDnn.check;
import static io.chorus.worker.engine.onednn.Plan.query;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_SCALE;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_SHIFT;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_MEAN;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SCALE;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SHIFT;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_VARIANCE;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_WORKSPACE;
import static org.bytedeco.dnnl.global.dnnl.dnnl_fuse_norm_relu;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_workspace_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_a;
import static org.bytedeco.dnnl.global.dnnl.dnnl_backward;
import static org.bytedeco.dnnl.global.dnnl.dnnl_batch_normalization_backward_primitive_desc_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_batch_normalization_forward_primitive_desc_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_forward_inference;
import static org.bytedeco.dnnl.global.dnnl.dnnl_forward_training;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_diff_src_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_dst_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_use_global_stats;
import static org.bytedeco.dnnl.global.dnnl.dnnl_use_scale;
import static org.bytedeco.dnnl.global.dnnl.dnnl_use_shift;

import io.chorus.worker.engine.onednn.NativeScope.Mem;
import java.nio.FloatBuffer;
import java.util.List;
import org.bytedeco.dnnl.dnnl_primitive_desc;

/**
 * A DL4J BatchNormalization layer (4-d per channel, or 2-d per feature), in the layout its input already
 * has. Training normalizes with the batch statistics (oneDNN's variance is the biased one, as DL4J's) and
 * afterwards moves the running statistics as DL4J does: {@code mean = decay*mean + (1-decay)*batchMean},
 * {@code var = decay*var + (1-decay)*batchVar}, with DL4J's default storage of the running variance as
 * {@code log10(std) = 0.5*log10(var)}. Inference normalizes with the running statistics, converted from
 * log10(std) to a variance before each pass; eps is added by oneDNN in both modes, as by DL4J.
 */
record BatchNormOp(String name, String input, FlatParam gamma, FlatParam beta, FlatParam mean, FlatParam spread,
                   boolean logStd, float eps, double decay, String reluOutput) implements Op {

    /**
     * This batch normalization with the ReLU layer {@code relu} that alone reads it fused in (oneDNN's
     * {@code fuse_norm_relu}: the backward pass masks by a workspace instead of a separate eltwise pass).
     * The op then produces {@code relu}'s tensor; its own, pre-activation output exists no longer.
     */
    BatchNormOp withRelu(String relu) {
        return new BatchNormOp(name, input, gamma, beta, mean, spread, logStd, eps, decay, relu);
    }

    @Override
    public String output() {
        return reluOutput != null ? reluOutput : name;
    }

    @Override
    public List<String> inputs() {
        return List.of(input);
    }

    @Override
    public void build(Plan.Builder b) {
        NativeScope scope = b.scope;
        Tensor x = b.in(input);
        long c = x.channels();
        var eng = OneDnn.get().engine();
        int flags = dnnl_use_scale | dnnl_use_shift | (b.training() ? 0 : dnnl_use_global_stats)
                | (reluOutput != null ? dnnl_fuse_norm_relu : 0);
        dnnl_primitive_desc pd = new dnnl_primitive_desc();
        check(dnnl_batch_normalization_forward_primitive_desc_create(pd, eng,
                b.training() ? dnnl_forward_training : dnnl_forward_inference, x.value.desc(), x.value.desc(),
                eps, flags, b.attr(null)), "batch normalization forward pd at " + name);
        scope.own(pd);
        Mem scale = b.param(gamma, dnnl_a, c);
        Mem shift = b.param(beta, dnnl_a, c);
        Mem y = b.memory(query(pd, dnnl_query_dst_md, 0));
        Mem meanMem;
        Mem varMem = scope.memory(scope.desc(new long[] {c}, dnnl_a));
        FloatBuffer runMean = b.params.values().slice(mean.offset(), c).floats();
        FloatBuffer runSpread = b.params.values().slice(spread.offset(), c).floats();
        FloatBuffer var = varMem.buffer().floats();
        if (b.training()) {
            meanMem = scope.memory(scope.desc(new long[] {c}, dnnl_a));
            FloatBuffer batchMean = meanMem.buffer().floats();
            b.statistics(new Step() {
                @Override
                public void run() {
                    for (int i = 0; i < c; i++) {
                        runMean.put(i, (float) (decay * runMean.get(i) + (1 - decay) * batchMean.get(i)));
                        double v = decay * variance(runSpread.get(i)) + (1 - decay) * var.get(i);
                        runSpread.put(i, (float) (logStd ? 0.5 * Math.log10(v) : v));
                    }
                }

                @Override
                public String toString() {
                    return name + " running statistics";
                }
            });
        } else {
            meanMem = b.param(mean, dnnl_a, c);
            b.fwd(new Step() {
                @Override
                public void run() {
                    for (int i = 0; i < c; i++) {
                        var.put(i, (float) variance(runSpread.get(i)));
                    }
                }

                @Override
                public String toString() {
                    return name + " running variance";
                }
            });
        }
        Mem ws = null;
        if (b.training() && reluOutput != null) {
            ws = scope.memory(query(pd, dnnl_query_workspace_md, 0));
            b.fwd(b.run(pd, name, DNNL_ARG_SRC, x.value, DNNL_ARG_DST, y, DNNL_ARG_SCALE, scale,
                    DNNL_ARG_SHIFT, shift, DNNL_ARG_MEAN, meanMem, DNNL_ARG_VARIANCE, varMem, DNNL_ARG_WORKSPACE, ws));
        } else {
            b.fwd(b.run(pd, name, DNNL_ARG_SRC, x.value, DNNL_ARG_DST, y,
                    DNNL_ARG_SCALE, scale, DNNL_ARG_SHIFT, shift, DNNL_ARG_MEAN, meanMem, DNNL_ARG_VARIANCE, varMem));
        }
        Tensor out = b.produce(output(), x.dims, y, x);
        if (!b.training()) {
            return;
        }

        dnnl_primitive_desc pdB = new dnnl_primitive_desc();
        check(dnnl_batch_normalization_backward_primitive_desc_create(pdB, eng, dnnl_backward, x.value.desc(),
                y.desc(), x.value.desc(), eps, flags, pd, null), "batch normalization backward pd at " + name);
        scope.own(pdB);
        Mem dy = b.outDiff(out);
        Mem target = b.diffTarget(x, query(pdB, dnnl_query_diff_src_md, 0));
        Mem dx = target != null ? target : scope.memory(query(pdB, dnnl_query_diff_src_md, 0));
        Object[] args = {DNNL_ARG_SRC, x.value, DNNL_ARG_MEAN, meanMem, DNNL_ARG_VARIANCE, varMem, DNNL_ARG_DIFF_DST, dy,
                DNNL_ARG_SCALE, scale, DNNL_ARG_DIFF_SRC, dx,
                DNNL_ARG_DIFF_SCALE, b.grad(gamma, dnnl_a, c), DNNL_ARG_DIFF_SHIFT, b.grad(beta, dnnl_a, c)};
        if (ws != null) {
            args = java.util.Arrays.copyOf(args, args.length + 2);
            args[args.length - 2] = DNNL_ARG_WORKSPACE;
            args[args.length - 1] = ws;
        }
        b.bwd(Step.primitive(scope, scope.primitive(pdB, name + " backward"), name + " backward", args));
        b.diffDone(target);
    }

    private double variance(float stored) {
        return logStd ? Math.pow(10.0, 2.0 * stored) : stored;
    }
}
