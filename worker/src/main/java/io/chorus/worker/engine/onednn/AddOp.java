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
 * first input's layout. Its backward hands the output gradient to both inputs unchanged (reordered
 * into an input's layout when they differ).
 */
record AddOp(String name, String left, String right) implements Op {

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
                c.value.desc(), a.value.desc(), b.attr(null)), "binary add pd at " + name);
        scope.own(pd);
        Mem y = b.memory(query(pd, dnnl_query_dst_md, 0));
        b.fwd(b.run(pd, name, DNNL_ARG_SRC_0, a.value, DNNL_ARG_SRC_1, c.value,
                DNNL_ARG_DST, y));
        Tensor out = b.produce(name, a.dims, y, a, c);
        if (!b.training()) {
            return;
        }
        Mem dy = b.outDiff(out);
        for (Tensor t : new Tensor[] {a, c}) {
            Mem target = b.diffTarget(t, t.value.desc());
            if (target != null) {
                b.bwd(b.reorder(dy, target));
                b.diffDone(target);
            }
        }
    }
}
