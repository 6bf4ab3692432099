package io.github.iommufd4j.simulator.report;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A run of consecutive guest pages a device wrote that no sync reported.
 *
 * @param device the device that wrote them
 * @param iova   the first page's address, lower-case hex with {@code 0x} ({@code "0x1000000"})
 * @param pages  the number of pages, positive
 */
public record LostRun(String device, String iova, long pages) {
    private static final Pattern HEX = Pattern.compile("0x(0|[1-9a-f][0-9a-f]*)");

    public LostRun {
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(iova, "iova");
        if (!HEX.matcher(iova).matches()) {
            throw new IllegalArgumentException("lost run iova '" + iova + "' is not lower-case hex like 0x1000000");
        }
        if (pages <= 0) {
            throw new IllegalArgumentException("lost run of device " + device + " at " + iova + " has " + pages
                    + " pages; expected at least 1");
        }
    }

    /** A run starting at {@code iova} (formatted as lower-case hex). */
    public static LostRun of(String device, long iova, long pages) {
        return new LostRun(device, "0x" + Long.toHexString(iova), pages);
    }

    /** The first page's address as a number. */
    public long iovaValue() {
        return Long.parseUnsignedLong(iova.substring(2), 16);
    }
}
