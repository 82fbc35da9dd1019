package io.chorus.worker.train.schedule;

/**
 * Argument checks shared by the schedules and their factory. Every message names the argument and the
 * rejected value, because these values usually come from a user's configuration file and the message is
 * the only hint of which key is wrong.
 */
final class ScheduleChecks {

    private ScheduleChecks() {
    }

    static double positiveFinite(String name, double value) {
        if (!(value > 0.0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(name + " must be a finite number > 0, got " + value);
        }
        return value;
    }

    static int atLeast(String name, int value, int min) {
        if (value < min) {
            throw new IllegalArgumentException(name + " must be >= " + min + ", got " + value);
        }
        return value;
    }

    static int inRange(String name, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(
                    name + " must be in [" + min + ", " + max + "], got " + value);
        }
        return value;
    }
}
