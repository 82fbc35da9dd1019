package org.nd4j.nativeblas;

/**
 * A bridge for a DL4J 1.0.0-M2.1 bug, not an ND4J class. DL4J's oneDNN layer helpers
 * ({@code org.deeplearning4j.nn.layers.mkldnn.BaseMKLDNNHelper.mklDnnEnabled()}) look up the native
 * environment under this class name and ask it {@code isUseMKLDNN()}; M2.1 moved that class to
 * {@code org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu.Environment} and renamed the method
 * {@code isUseONEDNN()}. Without a class here the lookup fails, DL4J logs "Cannot find class" and turns its
 * oneDNN helpers off for the life of the JVM, and every convolution runs as im2col + gemm in Java.
 *
 * <p>This class answers from the real environment, so helpers are used exactly when the loaded libnd4j says
 * oneDNN is on; it reaches that environment by name ({@link io.chorus.worker.engine.Backend}), so it compiles
 * into the CUDA build too, where it answers false. {@link io.chorus.worker.engine.Engine} documents the whole workaround and checks it.
 */
public final class Nd4jCpu {
    private Nd4jCpu() {
    }

    /** The name and method DL4J's helpers look for. */
    public static final class Environment {
        private static final Environment INSTANCE = new Environment();

        private Environment() {
        }

        public static Environment getInstance() {
            return INSTANCE;
        }

        public boolean isUseMKLDNN() {
            return io.chorus.worker.engine.Backend.cpuOneDnnFlag();
        }
    }
}
