package io.chorus.driver;

import java.util.List;
import java.util.Map;

/** Option parsing shared by the subcommands. */
final class CliArgs {
    private CliArgs() {
    }

    /** The value after option {@code args[i - 1]}. */
    static String value(List<String> args, int i, String option, String usage) throws BadInputException {
        if (i >= args.size()) {
            throw new BadInputException(option + " needs a value\n" + usage);
        }
        return args.get(i);
    }

    /** Adds a {@code --conf key=value} Spark setting to {@code conf}. */
    static void sparkConf(String kv, Map<String, String> conf, String usage) throws BadInputException {
        int eq = kv.indexOf('=');
        if (eq <= 0) {
            throw new BadInputException("--conf " + kv + ": expected key=value\n" + usage);
        }
        conf.put(kv.substring(0, eq), kv.substring(eq + 1));
    }
}
