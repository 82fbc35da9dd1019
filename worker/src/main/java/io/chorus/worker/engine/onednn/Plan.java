package io.chorus.worker.engine.onednn;

import static io.chorus.worker.engine.onednn.OneDnn.check;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_BIAS;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_WEIGHTS;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_FROM;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_MULTIPLE_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SCRATCHPAD;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_TO;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_desc_get_size;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_attr_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_attr_set_scratchpad_mode;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_scratchpad_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_scratchpad_mode_user;
import static org.bytedeco.dnnl.global.dnnl.dnnl_format_tag_any;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_desc_equal;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_desc_query_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_reorder_primitive_desc_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_sum_primitive_desc_create;

import io.chorus.worker.engine.onednn.NativeScope.Mem;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.dnnl.dnnl_primitive_attr;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.dnnl.dnnl_stream;
import org.bytedeco.javacpp.PointerPointer;

/**
 * The network compiled for one batch size and one mode: every primitive descriptor, primitive and
 * activation buffer created once, then run in order on each call. A training plan has a forward pass
 * (forward_training, batch statistics, dropout, workspaces kept), a backward pass writing every parameter
 * gradient into the flat gradient buffer, and the running-statistics updates of batch normalization.
 */
final class Plan implements AutoCloseable {
    /** Alignment of every activation inside an inference plan's arena. */
    private static final long ALIGN = 64;

    final int batch;
    final boolean training;
    final NativeScope scope;
    final List<Step> forward = new ArrayList<>();
    final List<Step> backward = new ArrayList<>();
    /** Runs once per update, after the backward pass (batch normalization's running statistics). */
    final List<Step> statistics = new ArrayList<>();
    Mem input;
    Mem logits;
    Mem logitsDiff;
    /** In a features plan: the requested tensor, plain (NCHW, or NC), [batch, everything else] row-major. */
    Mem features;
    /**
     * An inference plan's activations, reorder outputs and scratchpads (none in a training plan): memories
     * without a buffer of their own, placed at {@link #offsets} in an arena of {@link #arenaBytes} that the
     * network shares between its inference plans. Two of them share bytes only when no step of the pass
     * needs both (greedy by size over their live ranges).
     */
    private final List<Mem> transients = new ArrayList<>();
    private long[] offsets = new long[0];
    private long arenaBytes;

    private Plan(int batch, boolean training, dnnl_stream stream) {
        this.batch = batch;
        this.training = training;
        this.scope = new NativeScope(stream);
    }

    /**
     * Builds the plan of {@code graph} for {@code batch} images: a training plan, an inference plan ending at
     * the logits, or (with {@code featuresOf}, inference only) one ending at that tensor, read plain through
     * {@link #features}.
     */
    static Plan compile(CompiledGraph graph, ParameterStore params, int batch, boolean training,
                        Supplier<SplittableRandom> dropoutRng, dnnl_stream stream, String featuresOf) {
        if (training && featuresOf != null) {
            throw new IllegalArgumentException("a features plan is an inference plan");
        }
        Plan plan = new Plan(batch, training, stream);
        try {
            new Builder(plan, graph, params, dropoutRng).build(featuresOf);
            plan.layOut();
            return plan;
        } catch (RuntimeException e) {
            plan.close();
            throw e;
        }
    }

    /** Bytes the arena must have for this plan (0 for a training plan). */
    long arenaBytes() {
        return arenaBytes;
    }

    /** Bytes its transient memories would take each with a buffer of its own. */
    long transientBytes() {
        long sum = 0;
        for (Mem m : transients) {
            sum += m.bytes();
        }
        return sum;
    }

    /** Points every transient memory into {@code arena} (at least {@link #arenaBytes()} long). */
    void place(NativeScope.Buffer arena) {
        for (int i = 0; i < transients.size(); i++) {
            Mem m = transients.get(i);
            m.place(arena.bytes(offsets[i], m.bytes()));
        }
    }

    /** Live range of each transient memory over the forward steps; then offsets, greedy by size. */
    private void layOut() {
        int n = transients.size();
        if (n == 0) {
            return;
        }
        Map<Mem, Integer> index = new IdentityHashMap<>();
        for (int i = 0; i < n; i++) {
            index.put(transients.get(i), i);
        }
        int[] first = new int[n];
        int[] last = new int[n];
        java.util.Arrays.fill(first, Integer.MAX_VALUE);
        java.util.Arrays.fill(last, -1);
        for (int s = 0; s < forward.size(); s++) {
            for (Mem m : forward.get(s).memories()) {
                Integer i = index.get(m);
                if (i != null) {
                    first[i] = Math.min(first[i], s);
                    last[i] = Math.max(last[i], s);
                }
            }
        }
        for (Mem kept : new Mem[] {logits, features, input}) {
            Integer i = kept == null ? null : index.get(kept);
            if (i != null) {
                // Read by Java after the pass: live to the end.
                first[i] = Math.min(first[i], forward.size());
                last[i] = Integer.MAX_VALUE;
            }
        }
        Integer[] bySize = new Integer[n];
        for (int i = 0; i < n; i++) {
            bySize[i] = i;
        }
        java.util.Arrays.sort(bySize, (a, b) -> Long.compare(transients.get(b).bytes(), transients.get(a).bytes()));
        offsets = new long[n];
        List<Integer> placed = new ArrayList<>();
        for (int i : bySize) {
            long size = transients.get(i).bytes();
            List<Integer> clash = new ArrayList<>();
            for (int j : placed) {
                if (first[i] <= last[j] && first[j] <= last[i]) {
                    clash.add(j);
                }
            }
            clash.sort((a, b) -> Long.compare(offsets[a], offsets[b]));
            long at = 0;
            for (int j : clash) {
                if (at + size <= offsets[j]) {
                    break;
                }
                at = Math.max(at, align(offsets[j] + transients.get(j).bytes()));
            }
            offsets[i] = at;
            arenaBytes = Math.max(arenaBytes, at + size);
            placed.add(i);
        }
    }

    private static long align(long bytes) {
        return (bytes + ALIGN - 1) / ALIGN * ALIGN;
    }

    void runForward() {
        for (Step s : forward) {
            s.run();
        }
    }

    void runBackward() {
        for (Step s : backward) {
            s.run();
        }
    }

    void runStatistics() {
        for (Step s : statistics) {
            s.run();
        }
    }

    @Override
    public void close() {
        scope.close();
    }

    static boolean same(dnnl_memory_desc a, dnnl_memory_desc b) {
        return dnnl_memory_desc_equal(a, b) == 1;
    }

    static dnnl_memory_desc query(dnnl_primitive_desc pd, int what, int index) {
        dnnl_memory_desc md = dnnl_primitive_desc_query_md(pd, what, index);
        if (md == null || md.isNull()) {
            throw new OneDnnException("primitive descriptor has no memory descriptor for query " + what);
        }
        return md;
    }

    /** What an {@link Op} sees while it compiles itself into a plan. */
    static final class Builder {
        final Plan plan;
        final NativeScope scope;
        final ParameterStore params;
        final Supplier<SplittableRandom> dropoutRng;
        private final CompiledGraph graph;
        private final Map<String, Tensor> tensors = new LinkedHashMap<>();
        private final Map<Mem, Mem> pendingDiff = new IdentityHashMap<>();
        private final List<List<Step>> bwdPerOp = new ArrayList<>();
        private final List<Tensor> outPerOp = new ArrayList<>();
        private List<Step> currentBwd;
        private Tensor currentOut;
        private boolean currentHasParams;
        private final Map<String, Integer> consumers;

        private Builder(Plan plan, CompiledGraph graph, ParameterStore params, Supplier<SplittableRandom> rng) {
            this.plan = plan;
            this.scope = plan.scope;
            this.graph = graph;
            this.params = params;
            this.dropoutRng = rng;
            this.consumers = graph.consumerCounts();
        }

        private void build(String featuresOf) {
            long[] in = graph.inputDims(plan.batch);
            Tensor input = new Tensor(graph.inputName(), in);
            input.needsDiff = false;
            input.value = scope.memory(plain(in));
            input.consumers = consumers.getOrDefault(input.name, 0);
            tensors.put(input.name, input);
            plan.input = input.value;
            String stopAt = featuresOf == null ? null : graph.resolve(featuresOf);
            if (stopAt != null && stopAt.equals(input.name)) {
                throw new UnsupportedGraphException(featuresOf, "is the network input");
            }
            for (Op op : graph.ops()) {
                if (stopAt != null && plan.features != null) {
                    break;
                }
                currentBwd = new ArrayList<>();
                currentOut = null;
                currentHasParams = graph.hasParams(op);
                op.build(this);
                if (currentOut == null) {
                    throw new IllegalStateException(op.name() + " produced no tensor");
                }
                bwdPerOp.add(currentBwd);
                outPerOp.add(currentOut);
                if (currentOut.name.equals(stopAt)) {
                    long[] d = currentOut.dims;
                    plan.features = as(currentOut.value, plain(d), true);
                }
            }
            if (stopAt != null) {
                if (plan.features == null) {
                    throw new UnsupportedGraphException(featuresOf, "is not produced by any op of the network");
                }
                return;
            }
            if (plan.logits == null) {
                throw new IllegalStateException("no output layer produced logits");
            }
            if (plan.training) {
                for (int i = bwdPerOp.size() - 1; i >= 0; i--) {
                    Tensor out = outPerOp.get(i);
                    if (!out.needsDiff) {
                        continue;
                    }
                    if (out.contributions.size() > 1) {
                        plan.backward.add(sum(out.contributions, out.diff));
                    }
                    plan.backward.addAll(bwdPerOp.get(i));
                }
            }
        }

        int batch() {
            return plan.batch;
        }

        boolean training() {
            return plan.training;
        }

        Tensor in(String name) {
            Tensor t = tensors.get(name);
            if (t == null) {
                throw new IllegalStateException("tensor " + name + " used before it is produced");
            }
            return t;
        }

        /** Registers the current op's output (whose memory the op allocated in the layout it chose). */
        Tensor produce(String name, long[] dims, Mem value, Tensor... from) {
            Tensor t = new Tensor(name, dims);
            t.value = value;
            t.consumers = consumers.getOrDefault(name, 0);
            boolean needs = currentHasParams;
            for (Tensor f : from) {
                needs |= f.needsDiff;
            }
            t.needsDiff = needs && plan.training;
            tensors.put(name, t);
            currentOut = t;
            return t;
        }

        /** Marks {@code t} as the network's logits: the loss is its one consumer. */
        void logits(Tensor t) {
            plan.logits = t.value;
            t.consumers = 1;
            if (plan.training) {
                plan.logitsDiff = outDiff(t);
            }
        }

        void fwd(Step s) {
            plan.forward.add(s);
        }

        void bwd(Step s) {
            currentBwd.add(s);
        }

        void statistics(Step s) {
            plan.statistics.add(s);
        }

        dnnl_memory_desc any(long[] dims) {
            return scope.desc(dims, dnnl_format_tag_any);
        }

        dnnl_memory_desc plain(long[] dims) {
            return scope.desc(dims, Layouts.plainTag(dims.length));
        }

        /**
         * Memory for an activation (or another result the forward pass recomputes every time) laid out as
         * {@code md}: its own zeroed buffer in a training plan, a place in the shared arena in an inference
         * plan. Only primitives may touch the latter (Java steps would not know where it lies).
         */
        Mem memory(dnnl_memory_desc md) {
            if (plan.training) {
                return scope.memory(md);
            }
            Mem m = scope.deferred(md);
            plan.transients.add(m);
            return m;
        }

        /**
         * Attributes of a forward primitive: {@code activation} (may be null) as a post-op and, in an
         * inference plan, a scratchpad the plan provides ({@link #run}) instead of oneDNN's per-thread one,
         * so that the plan may run on any thread. Null when neither applies.
         */
        dnnl_primitive_attr attr(Eltwise activation) {
            if (plan.training && activation == null) {
                return null;
            }
            dnnl_primitive_attr attr = new dnnl_primitive_attr();
            check(dnnl_primitive_attr_create(attr), "dnnl_primitive_attr_create");
            scope.own(attr);
            if (!plan.training) {
                check(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user), "scratchpad mode");
            }
            if (activation != null) {
                activation.appendTo(scope, attr);
            }
            return attr;
        }

        /**
         * A step running the primitive of {@code pd} (created with {@link #attr}) on (argument kind, memory)
         * pairs, plus its scratchpad when it asks for one of its own.
         */
        Step run(dnnl_primitive_desc pd, String what, Object... kindMemPairs) {
            Object[] args = kindMemPairs;
            dnnl_memory_desc pad = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
            if (pad != null && !pad.isNull() && dnnl_memory_desc_get_size(pad) > 0) {
                args = java.util.Arrays.copyOf(kindMemPairs, kindMemPairs.length + 2);
                args[kindMemPairs.length] = DNNL_ARG_SCRATCHPAD;
                args[kindMemPairs.length + 1] = memory(pad);
            }
            return Step.primitive(scope, scope.primitive(pd, what), what, args);
        }

        /** {@code m} in layout {@code want}: itself, or a new memory filled by a reorder appended to the pass. */
        Mem as(Mem m, dnnl_memory_desc want, boolean forwardPass) {
            if (same(m.desc(), want)) {
                return m;
            }
            Mem out = forwardPass ? memory(want) : scope.memory(want);
            Step r = reorder(m, out);
            if (forwardPass) {
                fwd(r);
            } else {
                bwd(r);
            }
            return out;
        }

        Step reorder(Mem from, Mem to) {
            dnnl_primitive_desc pd = new dnnl_primitive_desc();
            var eng = OneDnn.get().engine();
            check(dnnl_reorder_primitive_desc_create(pd, from.desc(), eng, to.desc(), eng, attr(null)), "reorder pd");
            scope.own(pd);
            return run(pd, "reorder", DNNL_ARG_FROM, from, DNNL_ARG_TO, to);
        }

        /** The gradient arriving at {@code t} (in {@code t}'s layout), allocated on first request. */
        Mem outDiff(Tensor t) {
            if (t.diff == null) {
                t.diff = scope.memory(t.value.desc());
            }
            return t.diff;
        }

        /**
         * Where the current op writes its contribution to {@code t}'s gradient, in layout {@code have};
         * null when {@code t} needs no gradient. Call {@link #diffDone} after adding the writing step.
         */
        Mem diffTarget(Tensor t, dnnl_memory_desc have) {
            if (!t.needsDiff) {
                return null;
            }
            Mem contribution = t.consumers <= 1 ? outDiff(t) : scope.memory(t.value.desc());
            if (t.consumers > 1) {
                outDiff(t);
                t.contributions.add(contribution);
            }
            if (same(have, contribution.desc())) {
                return contribution;
            }
            Mem temp = scope.memory(have);
            pendingDiff.put(temp, contribution);
            return temp;
        }

        /**
         * Makes {@code from}'s gradient buffer the gradient of {@code out} too (an op whose input gradient
         * equals its output gradient, such as an add), before anything asked for {@code out}'s.
         */
        void shareDiff(Tensor out, Tensor from) {
            if (out.diff != null) {
                throw new IllegalStateException("the gradient of " + out + " is allocated already");
            }
            out.diff = outDiff(from);
        }

        /**
         * Passes {@code grad}, computed by the current op's backward steps so far, on to {@code t} as its
         * gradient from this op: as one of its contributions without a copy when {@code t} has several
         * readers and the layouts agree, otherwise through a reorder into the buffer {@link #diffTarget}
         * gives.
         */
        void contribute(Tensor t, Mem grad) {
            if (t.consumers > 1 && same(grad.desc(), t.value.desc())) {
                outDiff(t);
                t.contributions.add(grad);
                return;
            }
            Mem target = diffTarget(t, grad.desc());
            bwd(reorder(grad, target));
            diffDone(target);
        }

        void diffDone(Mem target) {
            Mem contribution = target == null ? null : pendingDiff.remove(target);
            if (contribution != null) {
                bwd(reorder(target, contribution));
            }
        }

        /**
         * Runs a backward-weights primitive {@code pdW} (convolution or inner product): reorders its source
         * and output gradient into the layouts it chose, writes the weight gradient into the flat gradient
         * buffer {@code gUser} (through a reorder if it chose another layout) and the bias gradient, if any,
         * straight into {@code biasGrad}.
         */
        void weightGradient(dnnl_primitive_desc pdW, String name, Mem src, Mem dy, Mem gUser, Mem biasGrad) {
            Mem srcW = as(src, query(pdW, org.bytedeco.dnnl.global.dnnl.dnnl_query_src_md, 0), false);
            Mem dyW = as(dy, query(pdW, org.bytedeco.dnnl.global.dnnl.dnnl_query_diff_dst_md, 0), false);
            dnnl_memory_desc gMd = query(pdW, org.bytedeco.dnnl.global.dnnl.dnnl_query_diff_weights_md, 0);
            Mem g = same(gMd, gUser.desc()) ? gUser : scope.memory(gMd);
            var p = scope.primitive(pdW, name + " dW");
            bwd(biasGrad == null
                    ? Step.primitive(scope, p, name + " backward weights", DNNL_ARG_SRC, srcW, DNNL_ARG_DIFF_DST, dyW,
                            DNNL_ARG_DIFF_WEIGHTS, g)
                    : Step.primitive(scope, p, name + " backward weights", DNNL_ARG_SRC, srcW, DNNL_ARG_DIFF_DST, dyW,
                            DNNL_ARG_DIFF_WEIGHTS, g, DNNL_ARG_DIFF_BIAS, biasGrad));
            if (g != gUser) {
                bwd(reorder(g, gUser));
            }
        }

        Mem param(FlatParam p, int tag, long... dims) {
            return scope.wrap(scope.desc(dims, tag), params.values().slice(p.offset(), p.length()));
        }

        Mem grad(FlatParam p, int tag, long... dims) {
            return scope.wrap(scope.desc(dims, tag), params.gradients().slice(p.offset(), p.length()));
        }

        private Step sum(List<Mem> parts, Mem dst) {
            int n = parts.size();
            float[] scales = new float[n];
            java.util.Arrays.fill(scales, 1f);
            PointerPointer<dnnl_memory_desc> srcs = new PointerPointer<>(n);
            scope.onClose(srcs::close);
            Object[] args = new Object[2 * n + 2];
            for (int i = 0; i < n; i++) {
                srcs.put(i, parts.get(i).desc());
                args[2 * i] = DNNL_ARG_MULTIPLE_SRC + i;
                args[2 * i + 1] = parts.get(i);
            }
            args[2 * n] = DNNL_ARG_DST;
            args[2 * n + 1] = dst;
            PointerPointer<dnnl_primitive_desc> out = new PointerPointer<>(1);
            scope.onClose(out::close);
            check(dnnl_sum_primitive_desc_create(out, OneDnn.get().engine(), dst.desc(), n, scales, srcs, null),
                    "sum pd");
            dnnl_primitive_desc pd = scope.own(new dnnl_primitive_desc(out.get(0)));
            return Step.primitive(scope, scope.primitive(pd, "sum"), "sum of gradients", args);
        }
    }
}
