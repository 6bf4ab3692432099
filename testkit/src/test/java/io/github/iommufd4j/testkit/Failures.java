package io.github.iommufd4j.testkit;

import io.github.iommufd4j.simulator.scenario.Scenario;
import io.github.iommufd4j.testkit.ScenarioShrinker;
import java.nio.file.Path;
import java.util.function.Predicate;

/** Turns a failing generated scenario into a message with its seed and the path of its shrunk copy. */
final class Failures {
    /** Where shrunk scenarios go: {@code core/target/shrunk/}. */
    static final Path SHRUNK_DIR = Path.of("target", "shrunk");

    private Failures() {
    }

    /** The seed of property tests: {@code -Diommufd4j.seed=...} or the given default. */
    static long baseSeed(long fallback) {
        String s = System.getProperty("iommufd4j.seed");
        return s == null ? fallback : Long.decode(s);
    }

    /**
     * Shrinks {@code failing} while {@code fails} holds, writes it under {@link #SHRUNK_DIR}, prints and returns
     * a message naming the seed, the file and {@code detail}.
     */
    static String shrinkAndDescribe(String test, long seed, Scenario failing, Predicate<Scenario> fails, String detail) {
        Scenario shrunk;
        try {
            shrunk = ScenarioShrinker.shrink(failing, fails);
        } catch (IllegalArgumentException e) {
            shrunk = failing; // flaky: the failure did not repeat
        }
        Path file = ScenarioShrinker.write(shrunk, SHRUNK_DIR.resolve(test));
        String msg = test + " failed for seed 0x" + Long.toHexString(seed) + " (rerun with -Diommufd4j.seed=0x"
                + Long.toHexString(seed) + "); shrunk scenario (" + shrunk.steps().size() + " steps, "
                + shrunk.devices().size() + " devices) written to " + file.toAbsolutePath() + "\n" + detail;
        System.err.println(msg);
        return msg;
    }
}
