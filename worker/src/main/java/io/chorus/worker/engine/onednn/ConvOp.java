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
import static org.bytedeco.dnnl.global.dnnl.dnnl_convolution_backward_data_primitive_desc_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_convolution_backward_weights_primitive_desc_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_convolution_direct;
import static org.bytedeco.dnnl.global.dnnl.dnnl_convolution_forward_primitive_desc_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_forward_inference;
import static org.bytedeco.dnnl.global.dnnl.dnnl_forward_training;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_diff_dst_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_diff_src_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_diff_weights_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_dst_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_src_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_weights_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_a;
import static org.bytedeco.dnnl.global.dnnl.dnnl_abcd;
import static org.bytedeco.dnnl.global.dnnl.dnnl_acdb;

import io.chorus.worker.engine.onednn.NativeScope.Mem;
import java.util.List;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.dnnl.dnnl_primitive_desc;

/**
 * A DL4J ConvolutionLayer (NCHW, OIHW weights, optional bias) as a direct convolution, its activation
 * fused as an eltwise post-op. Weights are {@code format_tag any}, and so are source and destination
 * unless {@link #channelsLast} says nhwc, so the convolution picks its layouts; the user-layout weights
 * are reordered into the chosen layout on each pass (they change every update), and the weight gradient
 * back into DL4J's layout.
 *
 * @param padL top/left padding; {@code padR} bottom/right, which DL4J's "same" mode may make larger
 */
record ConvOp(String name, String input, int outChannels, long[] kernel, long[] stride, long[] padL, long[] padR,
              long outH, long outW, FlatParam weights, FlatParam bias, Eltwise activation) implements Op {

    private static final long[] NO_DILATION = {0, 0};

    @Override
    public List<String> inputs() {
        return List.of(input);
    }

    @Override
    public void build(Plan.Builder b) {
        NativeScope scope = b.scope;
        Tensor x = b.in(input);
        long n = b.batch();
        long[] wDims = {outChannels, x.channels(), kernel[0], kernel[1]};
        long[] yDims = {n, outChannels, outH, outW};
        dnnl_memory_desc biasMd = bias == null ? null : scope.desc(new long[] {outChannels}, dnnl_a);
        var eng = OneDnn.get().engine();

        boolean channelsLast = channelsLast(x.channels(), outChannels, OneDnn.channelBlock());
        dnnl_memory_desc srcMd = activations(b, x.dims, channelsLast);
        dnnl_memory_desc dstMd = activations(b, yDims, channelsLast);
        dnnl_primitive_desc pd = new dnnl_primitive_desc();
        check(dnnl_convolution_forward_primitive_desc_create(pd, eng,
                b.training() ? dnnl_forward_training : dnnl_forward_inference, dnnl_convolution_direct,
                srcMd, b.any(wDims), biasMd, dstMd, stride, NO_DILATION, padL, padR,
                b.attr(activation)), "convolution forward pd at " + name);
        scope.own(pd);
        Mem src = b.as(x.value, query(pd, dnnl_query_src_md, 0), true);
        Mem wUser = b.param(weights, dnnl_abcd, wDims);
        Mem w = b.as(wUser, query(pd, dnnl_query_weights_md, 0), true);
        Mem bMem = bias == null ? null : b.param(bias, dnnl_a, outChannels);
        Mem y = b.memory(query(pd, dnnl_query_dst_md, 0));
        b.fwd(bMem == null
                ? b.run(pd, name, DNNL_ARG_SRC, src, DNNL_ARG_WEIGHTS, w, DNNL_ARG_DST, y)
                : b.run(pd, name, DNNL_ARG_SRC, src, DNNL_ARG_WEIGHTS, w,
                        DNNL_ARG_BIAS, bMem, DNNL_ARG_DST, y));
        Tensor out = b.produce(name, yDims, y, x);
        if (!b.training()) {
            return;
        }

        Mem dy = b.outDiff(out);
        Mem dPre = activation == null ? dy : activation.backward(b, y, dy, null, null);

        dnnl_primitive_desc pdW = new dnnl_primitive_desc();
        check(dnnl_convolution_backward_weights_primitive_desc_create(pdW, eng, dnnl_convolution_direct,
                src.desc(), b.any(wDims), biasMd, dstMd, stride, NO_DILATION, padL, padR, pd, null),
                "convolution backward-weights pd at " + name);
        scope.own(pdW);
        b.weightGradient(pdW, name, src, dPre, b.grad(weights, dnnl_abcd, wDims),
                bias == null ? null : b.grad(bias, dnnl_a, outChannels));

        if (!x.needsDiff) {
            return;
        }
        dnnl_primitive_desc pdD = new dnnl_primitive_desc();
        check(dnnl_convolution_backward_data_primitive_desc_create(pdD, eng, dnnl_convolution_direct,
                srcMd, b.any(wDims), dstMd, stride, NO_DILATION, padL, padR, pd, null),
                "convolution backward-data pd at " + name);
        scope.own(pdD);
        dnnl_memory_desc wdMd = query(pdD, dnnl_query_weights_md, 0);
        Mem wD = same(wdMd, w.desc()) ? w : b.as(wUser, wdMd, false);
        Mem dyD = b.as(dPre, query(pdD, dnnl_query_diff_dst_md, 0), false);
        Mem target = b.diffTarget(x, query(pdD, dnnl_query_diff_src_md, 0));
        b.bwd(Step.primitive(scope, scope.primitive(pdD, name + " dX"), name + " backward data",
                DNNL_ARG_DIFF_DST, dyD, DNNL_ARG_WEIGHTS, wD, DNNL_ARG_DIFF_SRC, target));
        b.diffDone(target);
    }

    /**
     * Whether the convolution keeps its activations channels-last (nhwc) instead of letting oneDNN choose
     * (a channel-blocked layout such as nChw16c). Blocked layouts pad the channels to the ISA's block, and
     * the kernels compute on the padding: LeNet's 20 and 50 channels become 32 and 64, twice the work of
     * conv2. The nhwc kernels (brgemm) carry no padding but are slower where nothing is padded (the BN
     * ResNet's 16/32/64 channels: 12% slower training). So: channels-last when padding would add more than
     * 15% to the multiply-adds; a first layer's few input channels count as unpadded (oneDNN reads them
     * plain). Measured on one Zen 4 core: LeNet training 5,400-5,800 images/s blocked, 6,800-7,600 nhwc.
     */
    static boolean channelsLast(long inChannels, long outChannels, int block) {
        double padded = (inChannels < 4 ? inChannels : roundUp(inChannels, block)) * (double) roundUp(outChannels, block);
        return padded > 1.15 * inChannels * outChannels;
    }

    private static long roundUp(long n, int block) {
        return (n + block - 1) / block * block;
    }

    private static dnnl_memory_desc activations(Plan.Builder b, long[] dims, boolean channelsLast) {
        return channelsLast ? b.scope.desc(dims, dnnl_acdb) : b.any(dims);
    }
}
