package io.chorus.driver;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The options of one subcommand, declared once: parsing ({@code --name value} and {@code --name=value}),
 * the usage line, and the {@code --help} text all come from the same declaration, for every subcommand.
 */
public final class Options {
    /** One option: a flag when {@code metavar} is null, else it takes a value (repeatable if {@code many}). */
    record Option(String name, String metavar, boolean many, String doc) {
    }

    private final String command;
    private final List<String> positionals;
    private final int required;
    private final String summary;
    private final Map<String, Option> options = new LinkedHashMap<>();
    private final List<List<String>> exclusive = new ArrayList<>();

    /**
     * @param positionals names of the positional arguments, in order
     * @param required    how many of them must be given
     */
    Options(String command, String summary, int required, String... positionals) {
        this.command = command;
        this.summary = summary;
        this.positionals = List.of(positionals);
        this.required = required;
    }

    Options flag(String name, String doc) {
        options.put(name, new Option(name, null, false, doc));
        return this;
    }

    Options value(String name, String metavar, String doc) {
        options.put(name, new Option(name, metavar, false, doc));
        return this;
    }

    Options repeated(String name, String metavar, String doc) {
        options.put(name, new Option(name, metavar, true, doc));
        return this;
    }

    /** Options that may not be given together. */
    Options exclusive(String... names) {
        exclusive.add(List.of(names));
        return this;
    }

    String command() {
        return command;
    }

    /** One line: the command, its positionals and options. */
    public String usage() {
        StringBuilder b = new StringBuilder("usage: chorus ").append(command);
        for (int i = 0; i < positionals.size(); i++) {
            b.append(i < required ? " <" + positionals.get(i) + ">" : " [" + positionals.get(i) + "]");
        }
        for (Option o : options.values()) {
            b.append(" [").append(o.name()).append(o.metavar() == null ? "" : " " + o.metavar()).append(o.many() ? " ..." : "")
                    .append("]");
        }
        return b.toString();
    }

    /** What {@code chorus <command> --help} prints. */
    public String help() {
        StringBuilder b = new StringBuilder(usage()).append("\n\n").append(summary).append("\n\noptions:\n");
        for (Option o : options.values()) {
            String head = "  " + o.name() + (o.metavar() == null ? "" : " " + o.metavar());
            b.append(head).append(head.length() < 26 ? " ".repeat(26 - head.length()) : "\n" + " ".repeat(26))
                    .append(o.doc()).append(o.many() ? " (repeatable)" : "").append('\n');
        }
        b.append("  --verbose                 print stack traces on the console too\n");
        b.append("  --help                    this text\n");
        return b.toString();
    }

    /** The parsed arguments; bad input names the offending argument and ends with the usage line. */
    Parsed parse(List<String> args) throws BadInputException {
        Map<String, List<String>> values = new LinkedHashMap<>();
        List<String> pos = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.startsWith("--")) {
                int eq = a.indexOf('=');
                String name = eq > 0 ? a.substring(0, eq) : a;
                Option o = options.get(name);
                if (o == null) {
                    throw new BadInputException("unknown option " + name + " of chorus " + command + "\n" + usage());
                }
                String v;
                if (o.metavar() == null) {
                    if (eq > 0) {
                        throw new BadInputException(name + " takes no value, got " + a + "\n" + usage());
                    }
                    v = "";
                } else if (eq > 0) {
                    v = a.substring(eq + 1);
                } else if (i + 1 < args.size()) {
                    v = args.get(++i);
                } else {
                    throw new BadInputException(name + " needs a value (" + o.metavar() + ")\n" + usage());
                }
                List<String> list = values.computeIfAbsent(name, k -> new ArrayList<>());
                if (!o.many() && !list.isEmpty()) {
                    throw new BadInputException(name + " is given twice (" + list.get(0) + ", " + v + ")\n" + usage());
                }
                list.add(v);
            } else if (pos.size() < positionals.size()) {
                pos.add(a);
            } else {
                throw new BadInputException("unexpected argument " + a + (pos.isEmpty() ? "" : " (the " + positionals.get(0)
                        + " is " + pos.get(0) + ")") + "\n" + usage());
            }
        }
        if (pos.size() < required) {
            throw new BadInputException("missing the " + positionals.get(pos.size()) + "\n" + usage());
        }
        for (List<String> group : exclusive) {
            List<String> given = group.stream().filter(values::containsKey).toList();
            if (given.size() > 1) {
                throw new BadInputException(String.join(" and ", given) + " exclude each other\n" + usage());
            }
        }
        return new Parsed(this, pos, values);
    }

    /** Parsed arguments of one command line. */
    record Parsed(Options options, List<String> positionals, Map<String, List<String>> values) {
        String positional(int i) {
            return i < positionals.size() ? positionals.get(i) : null;
        }

        boolean has(String name) {
            return values.containsKey(name);
        }

        String get(String name) {
            List<String> v = values.get(name);
            return v == null ? null : v.get(0);
        }

        String get(String name, String fallback) {
            String v = get(name);
            return v == null ? fallback : v;
        }

        List<String> all(String name) {
            return List.copyOf(values.getOrDefault(name, List.of()));
        }

        /** A positive whole number, or bad input naming the option. */
        int positiveInt(String name, int fallback) throws BadInputException {
            String v = get(name);
            if (v == null) {
                return fallback;
            }
            try {
                int n = Integer.parseInt(v);
                if (n >= 1) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new BadInputException(name + " " + v + ": expected a positive integer");
        }

        /** Every {@code --conf key=value}, in order. */
        Map<String, String> sparkConf() throws BadInputException {
            Map<String, String> conf = new LinkedHashMap<>();
            for (String kv : all("--conf")) {
                int eq = kv.indexOf('=');
                if (eq <= 0) {
                    throw new BadInputException("--conf " + kv + ": expected key=value\n" + options.usage());
                }
                conf.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
            return conf;
        }
    }
}
