package io.chorus.driver.config;

import java.util.List;

/**
 * A job configuration that cannot run. Carries every problem found, each naming its key, so a user
 * fixes them all in one pass rather than one per launch.
 */
public class ConfigException extends Exception {
    private final List<String> problems;

    public ConfigException(List<String> problems) {
        super(String.join("\n", problems));
        this.problems = List.copyOf(problems);
    }

    public ConfigException(String problem) {
        this(List.of(problem));
    }

    public List<String> problems() {
        return problems;
    }
}
