package io.chorus.driver;

/** Exit codes for schedulers: what a cron job, Airflow or Oozie task should make of a Chorus run. */
public enum ExitCode {
    /** every member finished */
    SUCCESS(0),
    /** the job itself failed */
    FAILURE(1),
    /** bad input (configuration, arguments, data, an occupied run directory); nothing was started */
    BAD_INPUT(2),
    /** some members diverged or failed, the rest finished */
    PARTIAL(3);

    private final int code;

    ExitCode(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }
}
