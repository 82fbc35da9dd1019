package io.chorus.worker.engine.onednn;

import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC;
import static org.bytedeco.dnnl.global.dnnl.dnnl_forward_inference;
import static org.bytedeco.dnnl.global.dnnl.dnnl_forward_training;

import io.chorus.worker.engine.onednn.NativeScope.Mem;
import java.util.List;
import org.bytedeco.dnnl.dnnl_primitive_desc;

/** A DL4J ActivationLayer: an eltwise primitive in its input's layout; backward from its output alone. */
record ActivationOp(String name, String input, Eltwise activation) implements Op {

    @Override
    public List<String> inputs() {
        return List.of(input);
    }

    @Override
    public void build(Plan.Builder b) {
        NativeScope scope = b.scope;
        Tensor x = b.in(input);
        dnnl_primitive_desc pd = activation.forwardPd(scope,
                b.training() ? dnnl_forward_training : dnnl_forward_inference, x.value.desc(), b.attr(null));
        Mem y = b.memory(x.value.desc());
        b.fwd(b.run(pd, name, DNNL_ARG_SRC, x.value, DNNL_ARG_DST, y));
        Tensor out = b.produce(name, x.dims, y, x);
        if (!b.training() || !x.needsDiff) {
            return;
        }
        Mem target = b.diffTarget(x, y.desc());
        activation.backward(b, y, b.outDiff(out), pd, target);
        b.diffDone(target);
    }
}
