package io.chorus.worker.engine.onednn;

import static io.chorus.worker.engine.onednn.OneDnn.check;
import static io.chorus.worker.engine.onednn.Plan.query;
import static io.chorus.worker.engine.onednn.Plan.same;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_BIAS;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_BIAS;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_WEIGHTS;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_WEIGHTS;
import static org.bytedeco.dnnl.global.dnnl.dnnl_a;
import static org.bytedeco.dnnl.global.dnnl.dnnl_ab;
import static org.bytedeco.dnnl.global.dnnl.dnnl_abcd;
import static org.bytedeco.dnnl.global.dnnl.dnnl_forward_inference;
import static org.bytedeco.dnnl.global.dnnl.dnnl_forward_training;
import static org.bytedeco.dnnl.global.dnnl.dnnl_inner_product_backward_data_primitive_desc_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_inner_product_backward_weights_primitive_desc_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_inner_product_forward_primitive_desc_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_desc_get_size;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_diff_dst_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_diff_src_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_diff_weights_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_dst_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_src_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_weights_md;

import io.chorus.worker.engine.onednn.NativeScope.Mem;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.SplittableRandom;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.dnnl.dnnl_primitive_desc;

/**
 * A DL4J DenseLayer or OutputLayer as an inner product. DL4J keeps W as an 'f'-ordered [nIn, nOut] view,
 * which is row-major [nOut, nIn]: oneDNN's {@code oi}; after a flattened feature map the same buffer is
 * {@code oihw}, so the inner product reads the (blocked) 4-d activation directly, without a flatten.
 *
 * <p>Dropout (DL4J's inverted dropout on the layer's input, retain probability {@code retain}) multiplies
 * the input by a mask of 0 and 1/retain drawn from the engine's own generator; the backward pass
 * multiplies the input gradient by the same mask. The output layer writes plain {@code nc} logits for the
 * loss.
 */
record InnerProductOp(String name, String input, int outputs, FlatParam weights, FlatParam bias,
                      Eltwise activation, double retain, boolean isOutput) implements Op {

    @Override
    public List<String> inputs() {
        return List.of(input);
    }

    @Override
    public void build(Plan.Builder b) {
        NativeScope scope = b.scope;
        Tensor x = b.in(input);
        long n = b.batch();
        long[] wDims = x.image() ? new long[] {outputs, x.dims[1], x.dims[2], x.dims[3]}
                : new long[] {outputs, x.dims[1]};
        int wTag = x.image() ? dnnl_abcd : dnnl_ab;
        long[] yDims = {n, outputs};
        dnnl_memory_desc biasMd = bias == null ? null : scope.desc(new long[] {outputs}, dnnl_a);
        var eng = OneDnn.get().engine();
        boolean dropout = b.training() && retain < 1.0;

        Mem in = x.value;
        FloatBuffer mask = null;
        if (dropout) {
            Mem masked = scope.memory(x.value.desc());
            long count = dnnl_memory_desc_get_size(x.value.desc()) / Float.BYTES;
            FloatBuffer m = scope.allocate(count * Float.BYTES).floats();
            FloatBuffer src = x.value.buffer().floats();
            FloatBuffer dst = masked.buffer().floats();
            float scale = (float) (1.0 / retain);
            b.fwd(new Step() {
                @Override
                public void run() {
                    SplittableRandom rng = b.dropoutRng.get();
                    for (int i = 0; i < count; i++) {
                        float k = rng.nextDouble() < retain ? scale : 0f;
                        m.put(i, k);
                        dst.put(i, src.get(i) * k);
                    }
                }

                @Override
                public String toString() {
                    return name + " dropout";
                }
            });
            in = masked;
            mask = m;
        }

        dnnl_primitive_desc pd = new dnnl_primitive_desc();
        check(dnnl_inner_product_forward_primitive_desc_create(pd, eng,
                b.training() ? dnnl_forward_training : dnnl_forward_inference,
                dropout ? in.desc() : b.any(x.dims), b.any(wDims), biasMd,
                isOutput ? b.plain(yDims) : b.any(yDims),
                b.attr(activation)), "inner product forward pd at " + name);
        scope.own(pd);
        Mem src = b.as(in, query(pd, dnnl_query_src_md, 0), true);
        Mem wUser = b.param(weights, wTag, wDims);
        Mem w = b.as(wUser, query(pd, dnnl_query_weights_md, 0), true);
        Mem y = b.memory(query(pd, dnnl_query_dst_md, 0));
        if (bias == null) {
            b.fwd(b.run(pd, name, DNNL_ARG_SRC, src, DNNL_ARG_WEIGHTS, w, DNNL_ARG_DST, y));
        } else {
            b.fwd(b.run(pd, name, DNNL_ARG_SRC, src, DNNL_ARG_WEIGHTS, w,
                    DNNL_ARG_BIAS, b.param(bias, dnnl_a, outputs), DNNL_ARG_DST, y));
        }
        Tensor out = b.produce(name, yDims, y, x);
        if (isOutput) {
            b.logits(out);
        }
        if (!b.training()) {
            return;
        }

        Mem dy = b.outDiff(out);
        Mem dPre = activation == null ? dy : activation.backward(b, y, dy, null, null);

        dnnl_primitive_desc pdW = new dnnl_primitive_desc();
        check(dnnl_inner_product_backward_weights_primitive_desc_create(pdW, eng, src.desc(), b.any(wDims),
                biasMd, y.desc(), pd, null), "inner product backward-weights pd at " + name);
        scope.own(pdW);
        b.weightGradient(pdW, name, src, dPre, b.grad(weights, wTag, wDims),
                bias == null ? null : b.grad(bias, dnnl_a, outputs));

        if (!x.needsDiff) {
            return;
        }
        dnnl_primitive_desc pdD = new dnnl_primitive_desc();
        check(dnnl_inner_product_backward_data_primitive_desc_create(pdD, eng,
                dropout ? in.desc() : b.any(x.dims), b.any(wDims), y.desc(), pd, null),
                "inner product backward-data pd at " + name);
        scope.own(pdD);
        dnnl_memory_desc wdMd = query(pdD, dnnl_query_weights_md, 0);
        Mem wD = same(wdMd, w.desc()) ? w : b.as(wUser, wdMd, false);
        Mem dyD = b.as(dPre, query(pdD, dnnl_query_diff_dst_md, 0), false);
        if (!dropout) {
            Mem target = b.diffTarget(x, query(pdD, dnnl_query_diff_src_md, 0));
            b.bwd(Step.primitive(scope, scope.primitive(pdD, name + " dX"), name + " backward data",
                    DNNL_ARG_DIFF_DST, dyD, DNNL_ARG_WEIGHTS, wD, DNNL_ARG_DIFF_SRC, target));
            b.diffDone(target);
            return;
        }
        Mem dMasked = scope.memory(in.desc());
        b.bwd(Step.primitive(scope, scope.primitive(pdD, name + " dX"), name + " backward data",
                DNNL_ARG_DIFF_DST, dyD, DNNL_ARG_WEIGHTS, wD, DNNL_ARG_DIFF_SRC, dMasked));
        Mem target = b.diffTarget(x, in.desc());
        FloatBuffer m = mask;
        FloatBuffer from = dMasked.buffer().floats();
        FloatBuffer to = target.buffer().floats();
        int count = m.capacity();
        b.bwd(new Step() {
            @Override
            public void run() {
                for (int i = 0; i < count; i++) {
                    to.put(i, from.get(i) * m.get(i));
                }
            }

            @Override
            public String toString() {
                return name + " dropout backward";
            }
        });
        b.diffDone(target);
    }
}
