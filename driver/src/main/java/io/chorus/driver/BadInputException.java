package io.chorus.driver;

/** Input the user must fix (arguments, configuration, data, run directory); reported with exit code 2. */
public class BadInputException extends Exception {
    public BadInputException(String message) {
        super(message);
    }

    public BadInputException(String message, Throwable cause) {
        super(message, cause);
    }
}
