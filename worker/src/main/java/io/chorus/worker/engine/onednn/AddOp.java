package io.chorus.worker.engine.onednn;

import static io.chorus.worker.engine.onednn.OneDnn.check;
import static io.chorus.worker.engine.onednn.Plan.query;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC_0;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC_1;
import static org.bytedeco.dnnl.global.dnnl.dnnl_binary_add;
import static org.bytedeco.dnnl.global.dnnl.dnnl_binary_primitive_desc_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_dst_md;

import io.chorus.worker.engine.onednn.NativeScope.Mem;
import java.util.List;
import org.bytedeco.dnnl.dnnl_primitive_desc;

/**
 * A DL4J ElementWiseVertex Add of two tensors (a residual branch and its shortcut) as a binary add in the
 * first input's layout, with the activation layer that alone reads it fused in as a post-op
 * ({@code activationOutput}: the op then produces that layer's tensor). Backward: the gradient at the sum
 * (through the activation, from its output) is the gradient of both inputs. It is handed over without a
 * copy where it can be: written straight into the first input's gradient when the add is its only
 * reader, and passed as a contribution to a tensor with several readers (the identity shortcut); it is
 * copied (reordered) only into an input with one reader of its own in another buffer.
 */
record AddOp(String name, String left, String right, String activationOutput, Eltwise activation) implements Op {

    AddOp(String name, String left, String right) {
        this(name, left, right, null, null);
    }

    /** This add with the activation layer {@code layer} ({@code e}) that alone reads it fused in. */
    AddOp withActivation(String layer, Eltwise e) {
        return new AddOp(name, left, right, layer, e);
    }

    @Override
    public String output() {
        return activationOutput != null ? activationOutput : name;
    }

    @Override
    public List<String> inputs() {
        return List.of(left, right);
    }

    @Override
    public void build(Plan.Builder b) {
        NativeScope scope = b.scope;
        Tensor a = b.in(left);
        Tensor c = b.in(right);
        dnnl_primitive_desc pd = new dnnl_primitive_desc();
        check(dnnl_binary_primitive_desc_create(pd, OneDnn.get().engine(), dnnl_binary_add, a.value.desc(),
                c.value.desc(), a.value.desc(), b.attr(activation)), "binary add pd at " + name);
        scope.own(pd);
        Mem y = b.memory(query(pd, dnnl_query_dst_md, 0));
        b.fwd(b.run(pd, name, DNNL_ARG_SRC_0, a.value, DNNL_ARG_SRC_1, c.value,
                DNNL_ARG_DST, y));
        Tensor out = b.produce(output(), a.dims, y, a, c);
        if (!b.training()) {
            return;
        }
        boolean intoLeft = a.needsDiff && a.consumers == 1 && a != c && Plan.same(a.value.desc(), y.desc());
        Mem dSum;
        if (activation == null) {
            if (intoLeft) {
                b.shareDiff(out, a);
            }
            dSum = b.outDiff(out);
        } else {
            dSum = activation.backward(b, y, b.outDiff(out), null, intoLeft ? b.outDiff(a) : null);
        }
        if (a.needsDiff && !intoLeft) {
            b.contribute(a, dSum);
        }
        if (c.needsDiff) {
            b.contribute(c, dSum);
        }
    }
}
