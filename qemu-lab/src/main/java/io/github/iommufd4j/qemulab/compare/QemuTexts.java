package io.github.iommufd4j.qemulab.compare;

import io.github.iommufd4j.api.Errno;
import java.util.function.IntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * QEMU's error texts read in core's terms: QEMU's device name {@code VFIO_FD<n>} is mapped back by the session; this
 * takes off what is the lab's and not QEMU's rule: the {@code vfio <name>: } prefix of a realize error, the strerror
 * QEMU appends to the innermost cause (it becomes the errno), host addresses, and the descriptor numbers core has no
 * notion of.
 */
public final class QemuTexts {
    private static final Pattern BIND = Pattern.compile("error bind device fd=(\\d+) to iommufd=\\d+");
    private static final Pattern ATTACH = Pattern.compile("\\[iommufd=\\d+\\] error attach (\\S+) \\(\\d+\\) to id=(\\d+)");
    private static final Pattern RETURNED = Pattern.compile(" = -(\\d+) \\(([^)]*)\\)$");
    private static final Pattern HOST_ADDRESS = Pattern.compile("0x[0-9a-f]{9,}");

    private QemuTexts() {
    }

    /**
     * An error as core reports it.
     *
     * @param message the text without its strerror
     * @param errno   the errno the strerror names, or null when the text ends in none
     */
    public record Error(String message, Errno errno) {
    }

    /**
     * A realize ({@code device_add}) error of {@code device}, names already mapped back: without {@code vfio
     * <device>: }, its strerror split off, descriptor numbers rewritten ({@code fdName} names the device of a
     * descriptor), host addresses written {@code <host>}.
     */
    public static Error realizeError(String text, String device, IntFunction<String> fdName) {
        String t = text;
        String prefix = "vfio " + device + ": ";
        if (t.startsWith(prefix)) {
            t = t.substring(prefix.length());
        }
        Matcher bind = BIND.matcher(t);
        if (bind.find()) {
            t = t.substring(0, bind.start()) + "error bind device " + fdName.apply(Integer.parseInt(bind.group(1)))
                    + " to iommufd" + t.substring(bind.end());
        }
        t = ATTACH.matcher(t).replaceFirst("error attach $1 to id=$2");
        return withoutStrerror(t);
    }

    /** Any error: its strerror split off (as {@code ": <strerror>"} or {@code " = -<n> (<strerror>)"} at its end). */
    public static Error withoutStrerror(String text) {
        for (Errno e : Errno.values()) {
            if (e != Errno.UNKNOWN && text.endsWith(": " + e.description())) {
                return new Error(hostAddresses(text.substring(0, text.length() - e.description().length() - 2)), e);
            }
        }
        Matcher m = RETURNED.matcher(text);
        if (m.find()) {
            Errno e = Errno.ofNumber(Integer.parseInt(m.group(1)));
            return new Error(hostAddresses(text.substring(0, m.start())), e == Errno.UNKNOWN ? null : e);
        }
        return new Error(hostAddresses(text), null);
    }

    private static String hostAddresses(String text) {
        return HOST_ADDRESS.matcher(text).replaceAll("<host>");
    }

    /**
     * Whether {@code core}'s message says what {@code qemu}'s does: equal, or the head of QEMU's chain of causes (QEMU
     * writes an error and its cause as {@code "<error>: <cause>"}; core names the error, and where it models it, the
     * cause).
     */
    public static boolean sameMessage(String core, String qemu) {
        if (core == null || qemu == null) {
            return core == null && qemu == null;
        }
        return core.equals(qemu) || qemu.startsWith(core + ": ");
    }
}
