package io.chorus.worker.engine.onednn;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.api.TrainingConfig;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.updater.UpdaterBlock;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.learning.regularization.L2Regularization;
import org.nd4j.linalg.learning.regularization.Regularization;

/**
 * The trainer's optimizers applied in place over the flat buffers, block by block exactly as DL4J's
 * updater partitions them (its {@link UpdaterBlock}s: a run of parameters sharing one updater, whose
 * state sits contiguously in the updater state view). Per block, as DL4J: the gradient of the mean loss,
 * plus {@code l2 * w} for each variable carrying L2 (DL4J's {@code l2(...)}: weights only), then
 *
 * <ul>
 *   <li>plain SGD: {@code w -= lr g} (no state);</li>
 *   <li>Nesterov SGD: {@code v' = mu v - lr g; w -= mu v - (1 + mu) v'} (state: v);</li>
 *   <li>Adam: {@code m = b1 m + (1-b1) g; u = b2 u + (1-b2) g^2;
 *       w -= lr sqrt(1-b2^t)/(1-b1^t) m / (sqrt(u) + eps)}, t = iteration + 1 (state: m then u);</li>
 *   <li>NoOp blocks (batch normalization's running statistics) are skipped: the engine updates those
 *       itself from the batch statistics.</li>
 * </ul>
 * Arithmetic is in float, in DL4J's order, so results track DL4J's to rounding.
 *
 * <p>One pass per parameter: the L2 term, the update, DL4J's L2 score {@code 0.5 * l2 * sum(w^2)} (of the
 * values before the update) and a check that every new value is finite are computed together, reading
 * each weight, gradient and state entry once. The gradient buffer keeps the gradient of the mean loss.
 */
final class Optimizer {

    private enum Kind { SGD, NESTEROV, ADAM }

    /**
     * A run of parameters sharing one updater, cut where the L2 coefficient changes.
     *
     * @param l2 the L2 term of this run's variable, or null (biases, batch normalization's gamma and beta)
     */
    private record Segment(Kind kind, int paramStart, int length, int stateStart, int stateStride,
                           double momentum, double beta1, double beta2, double epsilon, L2Regularization l2) {
    }

    /** What one update found: DL4J's L2 score before it, and whether every value it wrote is finite. */
    record Result(double regularization, boolean finite) {
    }

    private record L2(int offset, int length, L2Regularization reg) {
    }

    private final List<Segment> segments = new ArrayList<>();
    private final List<L2> l2 = new ArrayList<>();

    Optimizer(ComputationGraph net) {
        INDArrayOffsets offsets = new INDArrayOffsets(net);
        for (UpdaterBlock block : net.getUpdater(true).getUpdaterBlocks()) {
            IUpdater u = block.getGradientUpdater().getConfig();
            int start = block.getParamOffsetStart();
            int length = block.getParamOffsetEnd() - start;
            int state = block.getUpdaterViewOffsetStart();
            String where = block.getLayersAndVariablesInBlock().get(0).getLayer().getConfig().getLayerName();
            if (u instanceof NoOp) {
                continue;
            }
            Kind kind;
            double momentum = 0;
            double beta1 = 0;
            double beta2 = 0;
            double epsilon = 0;
            if (u instanceof Nesterovs n) {
                if (n.getMomentumISchedule() != null || n.getMomentumSchedule() != null) {
                    throw new UnsupportedGraphException(where, "Nesterov momentum schedules");
                }
                kind = Kind.NESTEROV;
                momentum = n.getMomentum();
            } else if (u instanceof Sgd) {
                kind = Kind.SGD;
            } else if (u instanceof Adam a) {
                kind = Kind.ADAM;
                beta1 = a.getBeta1();
                beta2 = a.getBeta2();
                epsilon = a.getEpsilon();
            } else {
                throw new UnsupportedGraphException(where, "updater " + u + " (only Sgd, Nesterovs, Adam, NoOp)");
            }
            List<L2> inBlock = new ArrayList<>();
            for (UpdaterBlock.ParamState ps : block.getLayersAndVariablesInBlock()) {
                TrainingConfig c = ps.getLayer().getConfig();
                List<Regularization> regs = c.getRegularizationByParam(ps.getParamName());
                if (regs == null) {
                    continue;
                }
                for (Regularization r : regs) {
                    if (!(r instanceof L2Regularization l)) {
                        throw new UnsupportedGraphException(c.getLayerName(), "regularization " + r + " (only L2)");
                    }
                    L2 entry = new L2(Math.toIntExact(offsets.of(ps.getParamView())),
                            Math.toIntExact(ps.getParamView().length()), l);
                    if (!inBlock.isEmpty() && entry.offset < inBlock.get(inBlock.size() - 1).offset + inBlock.get(inBlock.size() - 1).length) {
                        throw new UnsupportedGraphException(c.getLayerName(), "more than one L2 term on a variable");
                    }
                    inBlock.add(entry);
                }
            }
            l2.addAll(inBlock);
            // Cut the block at its L2 variables; the state of parameter k of the block sits at state + k
            // (Adam's second moment one block length further on).
            int at = start;
            for (L2 r : inBlock) {
                if (r.offset < at || r.offset + r.length > start + length) {
                    throw new UnsupportedGraphException(where, "an L2 variable outside its updater block");
                }
                if (r.offset > at) {
                    segments.add(new Segment(kind, at, r.offset - at, state + at - start, length, momentum, beta1,
                            beta2, epsilon, null));
                }
                segments.add(new Segment(kind, r.offset, r.length, state + r.offset - start, length, momentum, beta1,
                        beta2, epsilon, r.reg));
                at = r.offset + r.length;
            }
            if (at < start + length) {
                segments.add(new Segment(kind, at, start + length - at, state + at - start, length, momentum, beta1,
                        beta2, epsilon, null));
            }
        }
    }

    /** 0.5 * l2 * sum(w^2) over every regularized variable: what DL4J adds to the score. */
    double regularizationScore(FloatBuffer w, int iteration) {
        double score = 0;
        for (L2 r : l2) {
            double s = 0;
            for (int i = r.offset; i < r.offset + r.length; i++) {
                double v = w.get(i);
                s += v * v;
            }
            score += 0.5 * r.reg.getL2().valueAt(iteration, 0) * s;
        }
        return score;
    }

    /** The parameter ranges an update writes, as {start, length} pairs in DL4J's flat order. */
    List<int[]> updatedRanges() {
        List<int[]> out = new ArrayList<>();
        for (Segment s : segments) {
            out.add(new int[] {s.paramStart, s.length});
        }
        return out;
    }

    /**
     * One update of every parameter at learning rate {@code lr}; {@code iteration} counts from 0. Leaves
     * the gradient buffer as it was.
     */
    Result step(FloatBuffer w, FloatBuffer g, FloatBuffer state, double lr, int iteration) {
        double score = 0;
        float probe = 0; // x - x is 0 for every finite x and NaN for NaN and both infinities
        for (Segment s : segments) {
            float c = s.l2 == null ? 0f : (float) s.l2.getL2().valueAt(iteration, 0);
            double[] squares = {0};
            probe += switch (s.kind) {
                case SGD -> sgd(s, w, g, c, (float) lr, squares);
                case NESTEROV -> nesterov(s, w, g, state, c, (float) lr, squares);
                case ADAM -> adam(s, w, g, state, c, lr, iteration, squares);
            };
            if (s.l2 != null) {
                score += 0.5 * s.l2.getL2().valueAt(iteration, 0) * squares[0];
            }
        }
        return new Result(score, probe == 0);
    }

    private static float sgd(Segment b, FloatBuffer w, FloatBuffer g, float c, float lr, double[] squares) {
        double sq = 0;
        float probe = 0;
        for (int i = b.paramStart; i < b.paramStart + b.length; i++) {
            float wi = w.get(i);
            sq += (double) wi * wi;
            float gi = c == 0 ? g.get(i) : g.get(i) + c * wi;
            float next = wi - lr * gi;
            w.put(i, next);
            probe += next - next;
        }
        squares[0] = sq;
        return probe;
    }

    private static float nesterov(Segment b, FloatBuffer w, FloatBuffer g, FloatBuffer state, float c, float lr,
                                  double[] squares) {
        float mu = (float) b.momentum;
        double sq = 0;
        float probe = 0;
        for (int k = 0; k < b.length; k++) {
            int i = b.paramStart + k;
            int s = b.stateStart + k;
            float wi = w.get(i);
            sq += (double) wi * wi;
            float gi = c == 0 ? g.get(i) : g.get(i) + c * wi;
            float vPrev = state.get(s);
            float v = mu * vPrev - lr * gi;
            state.put(s, v);
            float next = wi - (mu * vPrev + (-mu - 1) * v);
            w.put(i, next);
            probe += next - next;
        }
        squares[0] = sq;
        return probe;
    }

    private static float adam(Segment b, FloatBuffer w, FloatBuffer g, FloatBuffer state, float c, double lr,
                              int iteration, double[] squares) {
        float beta1 = (float) b.beta1;
        float beta2 = (float) b.beta2;
        float eps = (float) b.epsilon;
        float alpha = adamStepSize((float) lr, beta1, beta2, iteration);
        if (!Float.isFinite(alpha) || alpha == 0) {
            alpha = eps;
        }
        int mStart = b.stateStart;
        int uStart = b.stateStart + b.stateStride;
        double sq = 0;
        float probe = 0;
        for (int k = 0; k < b.length; k++) {
            int i = b.paramStart + k;
            float wi = w.get(i);
            sq += (double) wi * wi;
            float gi = c == 0 ? g.get(i) : g.get(i) + c * wi;
            float m = beta1 * state.get(mStart + k) + gi * (1 - beta1);
            float u = beta2 * state.get(uStart + k) + gi * gi * (1 - beta2);
            state.put(mStart + k, m);
            state.put(uStart + k, u);
            float next = wi - m * alpha / ((float) Math.sqrt(u) + eps);
            w.put(i, next);
            probe += next - next;
        }
        squares[0] = sq;
        return probe;
    }

    /**
     * Adam's bias-corrected step size {@code lr sqrt(1 - beta2^t) / (1 - beta1^t)}, t = iteration + 1, in
     * libnd4j's precision: the powers and the square root in float (from the float betas), the division in
     * double, the result rounded to float. Computed in double from the double betas instead, it is larger
     * by 6.4e-6 relative at t = 1 (1 - 0.999f is not 0.001), which moved every Adam step off DL4J's.
     */
    static float adamStepSize(float lr, float beta1, float beta2, int iteration) {
        float t = iteration + 1;
        float beta1t = (float) Math.pow(beta1, t);
        float beta2t = (float) Math.pow(beta2, t);
        float root = (float) Math.sqrt((float) (1.0 - beta2t));
        return (float) (lr * root / (1.0 - beta1t));
    }

    /** Offsets of parameter views within the network's flat parameter vector. */
    private record INDArrayOffsets(long base) {
        INDArrayOffsets(ComputationGraph net) {
            this(net.params().offset());
        }

        long of(org.nd4j.linalg.api.ndarray.INDArray view) {
            return view.offset() - base;
        }
    }
}
