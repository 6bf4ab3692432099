package io.github.iommufd4j.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/** Runs the command in-process with captured output. */
final class Cli {
    record Result(int exit, String out, String err) {
    }

    private Cli() {
    }

    static Result run(String... args) {
        return run(Main.commandLine(CommandLine.defaultFactory()), args);
    }

    /** Runs with {@code simulate} reporting through {@code runner} instead of core's simulator. */
    static Result runWith(ScenarioRunner runner, String... args) {
        CommandLine.IFactory defaults = CommandLine.defaultFactory();
        CommandLine.IFactory factory = new CommandLine.IFactory() {
            @Override
            @SuppressWarnings("unchecked")
            public <K> K create(Class<K> cls) throws Exception {
                return cls == SimulateCommand.class ? (K) new SimulateCommand(runner) : defaults.create(cls);
            }
        };
        return run(Main.commandLine(factory), args);
    }

    private static Result run(CommandLine cl, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(args);
        return new Result(exit, out.toString(), err.toString());
    }
}
