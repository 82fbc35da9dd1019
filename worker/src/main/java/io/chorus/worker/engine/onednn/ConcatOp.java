package io.chorus.worker.engine.onednn;

import static io.chorus.worker.engine.onednn.OneDnn.check;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_MULTIPLE_SRC;
import static org.bytedeco.dnnl.global.dnnl.dnnl_concat_primitive_desc_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_desc_create_submemory;

import io.chorus.worker.engine.onednn.NativeScope.Mem;
import java.util.List;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.javacpp.PointerPointer;

/**
 * A DL4J MergeVertex (channel concatenation of an inception module's branches) as a concat primitive
 * into a plain NCHW destination. Plain, because the backward pass reads each branch's slice of the
 * gradient through a sub-memory, and a blocked layout allows that only at multiples of the block size.
 */
record ConcatOp(String name, List<String> inputs) implements Op {

    @Override
    public void build(Plan.Builder b) {
        NativeScope scope = b.scope;
        int n = inputs.size();
        Tensor[] in = new Tensor[n];
        long channels = 0;
        for (int i = 0; i < n; i++) {
            in[i] = b.in(inputs.get(i));
            channels += in[i].channels();
        }
        long[] yDims = in[0].dims.clone();
        yDims[1] = channels;
        dnnl_memory_desc yMd = b.plain(yDims);
        PointerPointer<dnnl_memory_desc> srcs = new PointerPointer<>(n);
        scope.onClose(srcs::close);
        Object[] args = new Object[2 * n + 2];
        for (int i = 0; i < n; i++) {
            srcs.put(i, in[i].value.desc());
            args[2 * i] = DNNL_ARG_MULTIPLE_SRC + i;
            args[2 * i + 1] = in[i].value;
        }
        Mem y = b.memory(yMd);
        args[2 * n] = DNNL_ARG_DST;
        args[2 * n + 1] = y;
        PointerPointer<dnnl_primitive_desc> pdOut = new PointerPointer<>(1);
        scope.onClose(pdOut::close);
        check(dnnl_concat_primitive_desc_create(pdOut, OneDnn.get().engine(), yMd, n, 1, srcs, b.attr(null)),
                "concat pd at " + name);
        dnnl_primitive_desc pd = scope.own(new dnnl_primitive_desc(pdOut.get(0)));
        b.fwd(b.run(pd, name, args));
        Tensor out = b.produce(name, yDims, y, in);
        if (!b.training()) {
            return;
        }
        Mem dy = b.outDiff(out);
        long offset = 0;
        for (Tensor t : in) {
            long[] sub = t.dims.clone();
            long[] at = new long[sub.length];
            at[1] = offset;
            offset += t.channels();
            Mem target = b.diffTarget(t, t.value.desc());
            if (target == null) {
                continue;
            }
            dnnl_memory_desc subMd = new dnnl_memory_desc();
            check(dnnl_memory_desc_create_submemory(subMd, dy.desc(), sub, at), "submemory at " + name);
            scope.adopt(subMd);
            Mem slice = scope.view(subMd, dy.buffer());
            b.bwd(b.reorder(slice, target));
            b.diffDone(target);
        }
    }
}
