package io.chorus.driver.run;

import com.fasterxml.jackson.annotation.JsonValue;

import io.chorus.driver.ExitCode;

/** A run's {@code status} in run.json; always agrees with the exit code of {@code chorus train}. */
public enum RunStatus {
    RUNNING(null), SUCCEEDED(ExitCode.SUCCESS), PARTIAL(ExitCode.PARTIAL), FAILED(ExitCode.FAILURE);

    private final ExitCode exitCode;

    RunStatus(ExitCode exitCode) {
        this.exitCode = exitCode;
    }

    public ExitCode exitCode() {
        return exitCode;
    }

    @JsonValue
    public String configName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    @com.fasterxml.jackson.annotation.JsonCreator
    public static RunStatus fromConfigName(String s) {
        return valueOf(s.toUpperCase(java.util.Locale.ROOT));
    }
}
