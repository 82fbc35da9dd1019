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
 */
final class Optimizer {

    private enum Kind { SGD, NESTEROV, ADAM }

    private record Block(Kind kind, int paramStart, int length, int stateStart, double momentum, double beta1,
                         double beta2, double epsilon) {
    }

    private record L2(int offset, int length, L2Regularization reg) {
    }

    private final List<Block> blocks = new ArrayList<>();
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
            if (u instanceof Nesterovs n) {
                if (n.getMomentumISchedule() != null || n.getMomentumSchedule() != null) {
                    throw new UnsupportedGraphException(where, "Nesterov momentum schedules");
                }
                blocks.add(new Block(Kind.NESTEROV, start, length, state, n.getMomentum(), 0, 0, 0));
            } else if (u instanceof Sgd) {
                blocks.add(new Block(Kind.SGD, start, length, state, 0, 0, 0, 0));
            } else if (u instanceof Adam a) {
                blocks.add(new Block(Kind.ADAM, start, length, state, 0, a.getBeta1(), a.getBeta2(), a.getEpsilon()));
            } else {
                throw new UnsupportedGraphException(where, "updater " + u + " (only Sgd, Nesterovs, Adam, NoOp)");
            }
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
                    l2.add(new L2(Math.toIntExact(offsets.of(ps.getParamView())),
                            Math.toIntExact(ps.getParamView().length()), l));
                }
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

    /** One update of every parameter at learning rate {@code lr}; {@code iteration} counts from 0. */
    void step(FloatBuffer w, FloatBuffer g, FloatBuffer state, double lr, int iteration) {
        for (L2 r : l2) {
            float c = (float) r.reg.getL2().valueAt(iteration, 0);
            for (int i = r.offset; i < r.offset + r.length; i++) {
                g.put(i, g.get(i) + c * w.get(i));
            }
        }
        for (Block b : blocks) {
            switch (b.kind) {
                case SGD -> sgd(b, w, g, (float) lr);
                case NESTEROV -> nesterov(b, w, g, state, (float) lr);
                case ADAM -> adam(b, w, g, state, lr, iteration);
                default -> throw new IllegalStateException(b.kind.name());
            }
        }
    }

    private static void sgd(Block b, FloatBuffer w, FloatBuffer g, float lr) {
        for (int i = b.paramStart; i < b.paramStart + b.length; i++) {
            w.put(i, w.get(i) - lr * g.get(i));
        }
    }

    private static void nesterov(Block b, FloatBuffer w, FloatBuffer g, FloatBuffer state, float lr) {
        float mu = (float) b.momentum;
        for (int k = 0; k < b.length; k++) {
            int i = b.paramStart + k;
            int s = b.stateStart + k;
            float vPrev = state.get(s);
            float v = mu * vPrev - lr * g.get(i);
            state.put(s, v);
            w.put(i, w.get(i) - (mu * vPrev + (-mu - 1) * v));
        }
    }

    private static void adam(Block b, FloatBuffer w, FloatBuffer g, FloatBuffer state, double lr, int iteration) {
        float beta1 = (float) b.beta1;
        float beta2 = (float) b.beta2;
        float eps = (float) b.epsilon;
        float alpha = adamStepSize((float) lr, beta1, beta2, iteration);
        if (!Float.isFinite(alpha) || alpha == 0) {
            alpha = eps;
        }
        int mStart = b.stateStart;
        int uStart = b.stateStart + b.length;
        for (int k = 0; k < b.length; k++) {
            int i = b.paramStart + k;
            float gi = g.get(i);
            float m = beta1 * state.get(mStart + k) + gi * (1 - beta1);
            float u = beta2 * state.get(uStart + k) + gi * gi * (1 - beta2);
            state.put(mStart + k, m);
            state.put(uStart + k, u);
            w.put(i, w.get(i) - m * alpha / ((float) Math.sqrt(u) + eps));
        }
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
