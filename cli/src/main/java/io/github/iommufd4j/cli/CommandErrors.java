package io.github.iommufd4j.cli;

import io.github.iommufd4j.simulator.io.ScenarioException;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;

/**
 * How every command ends on an error: the message on stderr and an exit status, with a stack trace only
 * for an internal error and only with {@code --verbose}.
 */
final class CommandErrors {
    private CommandErrors() {
    }

    /** An error of input or arguments: message on stderr, exit status 2. */
    static final class InvalidInput extends RuntimeException {
        private static final long serialVersionUID = 1L;

        InvalidInput(String message) {
            super(message, null, false, false);
        }
    }

    static int run(CommandSpec spec, boolean verbose, Callable<Integer> body) {
        PrintWriter err = spec.commandLine().getErr();
        try {
            return body.call();
        } catch (ScenarioException | InvalidInput e) {
            err.println(e.getMessage());
            return Main.EXIT_INVALID;
        } catch (Exception | Error e) {
            err.println(spec.qualifiedName() + ": internal error: " + oneLine(e));
            if (verbose) {
                StringWriter trace = new StringWriter();
                e.printStackTrace(new PrintWriter(trace));
                err.print(trace);
            } else {
                err.println("(run again with --verbose for the stack trace)");
            }
            return Main.EXIT_INTERNAL;
        } finally {
            spec.commandLine().getOut().flush();
            err.flush();
        }
    }

    static String oneLine(Throwable e) {
        String m = e.getMessage();
        String text = e.getClass().getName() + (m == null ? "" : ": " + m);
        return text.replaceAll("\\s*\\R\\s*", " ");
    }
}
