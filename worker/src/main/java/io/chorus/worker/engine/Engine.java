package io.chorus.worker.engine;

import org.deeplearning4j.nn.layers.mkldnn.BaseMKLDNNHelper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Switches on DL4J's oneDNN layer helpers (convolution, pooling backprop, batch normalization), which
 * DL4J 1.0.0-M2.1 never uses on its own because of two gates:
 * <ol>
 *   <li>{@code HelperUtils.createHelper} returns no helper unless the system property
 *       {@value #HELPERS_DISABLE} is {@code false}; its default is {@code true}. The property is read each
 *       time a layer is constructed, so it must be set before any network is built or restored.</li>
 *   <li>{@code BaseMKLDNNHelper.mklDnnEnabled()} looks up a class M2.1 moved; Chorus ships it under the
 *       old name ({@link org.nd4j.nativeblas.Nd4jCpu}). A failed lookup is latched for the whole JVM.</li>
 * </ol>
 * Helpers only run with FLOAT data (Chorus's networks are FLOAT) and only with an nd4j-native build that
 * contains oneDNN: Chorus depends on the {@code linux-x86_64-onednn-avx2} classifier. A user who sets the
 * property to {@code true} explicitly gets DL4J's reference Java path, as a way to rule the helpers out.
 *
 * <p>Every JVM Chorus starts (driver, executors, tests) reaches {@link #ensureHelpers()} before building
 * or restoring a network: the model zoo and the snapshot store call it.
 */
public final class Engine {
    public static final String HELPERS_DISABLE = "org.eclipse.deeplearning4j.helpers.disable";
    private static final Logger LOG = LoggerFactory.getLogger(Engine.class);
    private static volatile Boolean enabled;

    private Engine() {
    }

    /**
     * Enables the helpers unless the user disabled them explicitly, and reports whether DL4J will now
     * attach oneDNN helpers to new layers.
     */
    public static boolean ensureHelpers() {
        Boolean e = enabled;
        if (e != null) {
            return e;
        }
        synchronized (Engine.class) {
            if (enabled == null) {
                if (System.getProperty(HELPERS_DISABLE) == null && !oneDnnInLibrary()) {
                    // Without oneDNN compiled in, the helpers would run libnd4j's generic kernels: an
                    // untested third path. Keep DL4J's reference path instead.
                    System.setProperty(HELPERS_DISABLE, "true");
                }
                if (System.getProperty(HELPERS_DISABLE) == null) {
                    System.setProperty(HELPERS_DISABLE, "false");
                }
                boolean on = !Boolean.parseBoolean(System.getProperty(HELPERS_DISABLE))
                        && BaseMKLDNNHelper.mklDnnEnabled();
                if (!on) {
                    LOG.warn("DL4J's oneDNN helpers are off ({}={}, oneDNN in libnd4j: {}); convolutions run on "
                            + "DL4J's slower Java path", HELPERS_DISABLE, System.getProperty(HELPERS_DISABLE),
                            oneDnnInLibrary());
                }
                enabled = on;
            }
            return enabled;
        }
    }

    /**
     * Whether the loaded libnd4j is a oneDNN build (JavaCPP loaded it from an {@code -onednn} classifier)
     * with oneDNN switched on. The environment flag alone proves nothing: the plain build reports it too.
     * Always false on the CUDA build (no libnd4jcpu is loaded there).
     */
    public static boolean oneDnnInLibrary() {
        org.nd4j.linalg.factory.Nd4j.getBackend();
        String lib = org.bytedeco.javacpp.Loader.getLoadedLibraries().get("nd4jcpu");
        return lib != null && lib.contains("-onednn") && Backend.cpuOneDnnFlag();
    }

    /**
     * What a member's attempt records as its engine: {@code cuda} on the CUDA build (DL4J's CUDA path;
     * its cuDNN helpers are not part of Chorus), else {@code onednn} with DL4J's oneDNN helpers on, or
     * {@code java} for DL4J's reference path.
     */
    public static String name() {
        if (Backend.cudaBuild()) {
            return "cuda";
        }
        return ensureHelpers() ? "onednn" : "java";
    }
}
