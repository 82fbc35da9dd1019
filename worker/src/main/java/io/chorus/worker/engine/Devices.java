package io.chorus.worker.engine;

import java.util.List;

import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binds the calling thread to the GPU Spark assigned to its task. With the CUDA backend (Chorus built with
 * {@code -Pcuda}) ND4J runs this thread's arrays and kernels on that device from then on; with the CPU
 * backend there is no device to bind, which is logged once, and the member trains on the CPU.
 */
public final class Devices {
    private static final Logger LOG = LoggerFactory.getLogger(Devices.class);
    private static volatile boolean warned;

    private Devices() {
    }

    /** Whether ND4J runs on CUDA in this JVM (loading the backend, which fails here if CUDA cannot load). */
    public static boolean cuda() {
        return Backend.load().equals(Backend.CUDA_BACKEND);
    }

    /**
     * Binds this thread to the first of {@code addresses} (Spark's GPU addresses are device ordinals).
     *
     * @return the device the thread now uses: {@code cuda:<n>} or {@code cpu}
     */
    public static String bind(List<String> addresses) {
        if (addresses.isEmpty()) {
            return "cpu";
        }
        int device;
        try {
            device = Integer.parseInt(addresses.get(0).trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("GPU address " + addresses.get(0) + " from Spark is not a device "
                    + "ordinal; the discovery script must report CUDA device numbers", e);
        }
        if (!cuda()) {
            if (!warned) {
                warned = true;
                LOG.warn("Spark assigned GPU {} but ND4J runs its CPU backend (build Chorus with -Pcuda); "
                        + "training on the CPU", addresses);
            }
            return "cpu";
        }
        int visible = Nd4j.getAffinityManager().getNumberOfDevices();
        if (device < 0 || device >= visible) {
            throw new IllegalStateException("Spark assigned GPU " + device + " but CUDA sees " + visible + " device(s) "
                    + "in this executor; the discovery script must report the ordinals CUDA uses here (check "
                    + "CUDA_VISIBLE_DEVICES)");
        }
        Nd4j.getAffinityManager().unsafeSetDevice(device);
        return "cuda:" + device;
    }
}
