package io.chorus.ensemble.swa;

import java.util.Arrays;
import java.util.Objects;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Streaming arithmetic mean of equally shaped parameter arrays (typically the flat
 * {@code ComputationGraph.params()} vectors of several snapshots).
 *
 * <p>Memory is one array however many are added: after the {@code n}-th array {@code x} the mean is
 * updated as {@code mean += (x - mean) / n}. The running mean is held and updated in DOUBLE, whatever
 * the type of the arrays added, so averaging many FLOAT snapshots loses no precision to the update
 * itself; {@link #mean()} returns it in the data type of the first array added. Arrays are copied on
 * {@link #add}, so the caller may reuse or modify them afterwards.
 *
 * <p>Not thread-safe.
 */
public final class ParameterMean {

    private INDArray mean;
    private long[] shape;
    private DataType type;
    private long count;

    /**
     * Adds one array to the mean.
     *
     * @param params a floating-point array; every array after the first must have the first one's shape
     * @throws IllegalArgumentException if {@code params} is not floating point, has another shape than the
     *                                  arrays added before, or holds a NaN or infinite value; the mean is
     *                                  then unchanged
     */
    public void add(INDArray params) {
        Objects.requireNonNull(params, "params");
        if (!params.dataType().isFPType()) {
            throw new IllegalArgumentException("params must be floating point, got " + params.dataType());
        }
        if (shape != null && !Arrays.equals(shape, params.shape())) {
            throw new IllegalArgumentException("params has shape " + Arrays.toString(params.shape())
                    + " but the arrays averaged so far have shape " + Arrays.toString(shape));
        }
        // castTo returns the array itself when it is already DOUBLE; never modify the caller's array.
        INDArray x = params.dataType() == DataType.DOUBLE ? params.dup() : params.castTo(DataType.DOUBLE);
        if (!Double.isFinite(x.sumNumber().doubleValue())) {
            throw new IllegalArgumentException("params holds a NaN or infinite value (array " + (count + 1)
                    + " of the mean); a diverged snapshot cannot be averaged");
        }
        count++;
        if (mean == null) {
            mean = x;
            shape = params.shape();
            type = params.dataType();
        } else {
            mean.addi(x.subi(mean).divi(count));
        }
    }

    /** Number of arrays added. */
    public long count() {
        return count;
    }

    /**
     * A new array holding the mean of the arrays added so far, in the data type and shape of the first.
     *
     * @throws IllegalStateException if nothing was added
     */
    public INDArray mean() {
        if (count == 0) {
            throw new IllegalStateException("no parameters were added; the mean of nothing is undefined");
        }
        return type == DataType.DOUBLE ? mean.dup() : mean.castTo(type);
    }
}
