package io.chorus.worker.engine.onednn;

import static io.chorus.worker.engine.onednn.OneDnn.check;
import static io.chorus.worker.engine.onednn.Plan.query;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_WORKSPACE;
import static org.bytedeco.dnnl.global.dnnl.dnnl_forward_inference;
import static org.bytedeco.dnnl.global.dnnl.dnnl_forward_training;
import static org.bytedeco.dnnl.global.dnnl.dnnl_pooling_avg_exclude_padding;
import static org.bytedeco.dnnl.global.dnnl.dnnl_pooling_backward_primitive_desc_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_pooling_forward_primitive_desc_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_pooling_max;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_desc_query_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_diff_dst_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_diff_src_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_dst_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_workspace_md;

import io.chorus.worker.engine.onednn.NativeScope.Mem;
import java.util.List;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.dnnl.dnnl_primitive_desc;

/**
 * Max pooling (a DL4J SubsamplingLayer MAX; padding never wins, as in DL4J) with the workspace oneDNN
 * keeps for its backward pass, or global average pooling (a DL4J GlobalPoolingLayer AVG, one window over
 * the whole map) producing {@code [n, c, 1, 1]}, which the next inner product reads as {@code [n, c]}.
 */
record PoolingOp(String name, String input, boolean max, long[] kernel, long[] stride, long[] padL, long[] padR,
                 long outH, long outW) implements Op {

    private static final long[] NO_DILATION = {0, 0};

    /** Global average pooling over an {@code h x w} map. */
    static PoolingOp globalAverage(String name, String input, long h, long w) {
        return new PoolingOp(name, input, false, new long[] {h, w}, new long[] {1, 1}, new long[] {0, 0},
                new long[] {0, 0}, 1, 1);
    }

    @Override
    public List<String> inputs() {
        return List.of(input);
    }

    @Override
    public void build(Plan.Builder b) {
        NativeScope scope = b.scope;
        Tensor x = b.in(input);
        long[] yDims = {b.batch(), x.channels(), outH, outW};
        int alg = max ? dnnl_pooling_max : dnnl_pooling_avg_exclude_padding;
        var eng = OneDnn.get().engine();
        dnnl_primitive_desc pd = new dnnl_primitive_desc();
        check(dnnl_pooling_forward_primitive_desc_create(pd, eng,
                b.training() ? dnnl_forward_training : dnnl_forward_inference, alg, x.value.desc(), b.any(yDims),
                stride, kernel, NO_DILATION, padL, padR, b.attr(null)), "pooling forward pd at " + name);
        scope.own(pd);
        Mem y = b.memory(query(pd, dnnl_query_dst_md, 0));
        dnnl_memory_desc wsMd = dnnl_primitive_desc_query_md(pd, dnnl_query_workspace_md, 0);
        Mem ws = wsMd != null && !wsMd.isNull() && org.bytedeco.dnnl.global.dnnl.dnnl_memory_desc_get_size(wsMd) > 0
                ? scope.memory(wsMd) : null;
        b.fwd(ws == null
                ? b.run(pd, name, DNNL_ARG_SRC, x.value, DNNL_ARG_DST, y)
                : b.run(pd, name, DNNL_ARG_SRC, x.value, DNNL_ARG_DST, y,
                        DNNL_ARG_WORKSPACE, ws));
        Tensor out = b.produce(name, yDims, y, x);
        if (!b.training() || !x.needsDiff) {
            return;
        }
        dnnl_primitive_desc pdB = new dnnl_primitive_desc();
        check(dnnl_pooling_backward_primitive_desc_create(pdB, eng, alg, x.value.desc(), y.desc(), stride, kernel,
                NO_DILATION, padL, padR, pd, null), "pooling backward pd at " + name);
        scope.own(pdB);
        Mem dy = b.as(b.outDiff(out), query(pdB, dnnl_query_diff_dst_md, 0), false);
        Mem target = b.diffTarget(x, query(pdB, dnnl_query_diff_src_md, 0));
        b.bwd(ws == null
                ? Step.primitive(scope, scope.primitive(pdB, name + " backward"), name + " backward",
                        DNNL_ARG_DIFF_DST, dy, DNNL_ARG_DIFF_SRC, target)
                : Step.primitive(scope, scope.primitive(pdB, name + " backward"), name + " backward",
                        DNNL_ARG_DIFF_DST, dy, DNNL_ARG_DIFF_SRC, target, DNNL_ARG_WORKSPACE, ws));
        b.diffDone(target);
    }
}
