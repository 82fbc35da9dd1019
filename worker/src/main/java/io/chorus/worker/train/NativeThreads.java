package io.chorus.worker.train;

import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * Caps the threads ND4J uses in this JVM: its own loop threads, OpenMP and BLAS. With one thread per
 * member a member's result is bitwise reproducible for a given seed, and on a CPU one thread per member
 * with one member per core is the fastest layout for small networks. The launch scripts also export
 * {@code OMP_NUM_THREADS}, which the native library reads when it loads.
 */
public final class NativeThreads {
    private NativeThreads() {
    }

    public static void set(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("train.threads must be at least 1, got " + threads);
        }
        Nd4j.getEnvironment().setMaxThreads(threads);
        Nd4j.getEnvironment().setMaxMasterThreads(threads);
        NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(threads);
        Nd4j.factory().blas().setMaxThreads(threads);
    }
}
