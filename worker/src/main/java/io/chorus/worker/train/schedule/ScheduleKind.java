package io.chorus.worker.train.schedule;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Learning-rate schedule of a member ({@code train.schedule} in the configuration); see
 * {@link LearningRateSchedules#create} for what each one means.
 */
public enum ScheduleKind {
    /** The same rate for the whole run. */
    CONSTANT,
    /** Rate multiplied by {@code gamma} every {@code stepEpochs} epochs. */
    STEP,
    /** One cosine annealing from the initial rate to 0 over the whole run. */
    COSINE,
    /** Cyclic cosine annealing with restarts, for snapshot ensembles. */
    CYCLIC,
    /** Cosine annealing held constant from swa.start on: the tail SWA averages over. */
    SWA;

    /** The lower-case name used in configuration files. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses a configuration value, case-insensitively.
     *
     * @throws IllegalArgumentException naming the value and the accepted ones
     */
    public static ScheduleKind fromConfigName(String value) {
        if (value != null) {
            for (ScheduleKind kind : values()) {
                if (kind.configName().equals(value.trim().toLowerCase(Locale.ROOT))) {
                    return kind;
                }
            }
        }
        throw new IllegalArgumentException("schedule must be one of "
                + Arrays.stream(values()).map(ScheduleKind::configName).collect(Collectors.joining(", "))
                + ", got " + (value == null ? "null" : "'" + value + "'"));
    }
}
