package io.github.iommufd4j.api;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * An immutable set of kernel flag bits of one enum type. {@link #contains(Enum)} is one AND on a
 * {@code long}: no allocation, no iteration. Bits the enum does not name are kept in {@link #bits()} so a
 * value read from a newer kernel survives a round trip.
 *
 * @param <E> the flag enum
 */
public final class FlagSet<E extends Enum<E> & BitFlag> {
    private final Class<E> type;
    private final long bits;

    private FlagSet(Class<E> type, long bits) {
        this.type = type;
        this.bits = bits;
    }

    /**
     * The set with exactly these raw bits (unknown bits kept).
     *
     * @param <E>  the flag enum
     * @param type the flag enum's class
     * @param bits the raw bits
     * @return the set
     */
    public static <E extends Enum<E> & BitFlag> FlagSet<E> ofBits(Class<E> type, long bits) {
        return new FlagSet<>(Objects.requireNonNull(type, "type"), bits);
    }

    /**
     * The empty set.
     *
     * @param <E>  the flag enum
     * @param type the flag enum's class
     * @return the set with no bit
     */
    public static <E extends Enum<E> & BitFlag> FlagSet<E> none(Class<E> type) {
        return ofBits(type, 0);
    }

    /**
     * The set of these flags.
     *
     * @param <E>   the flag enum
     * @param type  the flag enum's class
     * @param flags the flags
     * @return the set
     */
    @SafeVarargs
    public static <E extends Enum<E> & BitFlag> FlagSet<E> of(Class<E> type, E... flags) {
        long bits = 0;
        for (E f : flags) {
            bits |= Objects.requireNonNull(f, "flag").bit();
        }
        return ofBits(type, bits);
    }

    /**
     * Whether a flag is set: one AND.
     *
     * @param flag the flag
     * @return whether its bit is set
     */
    public boolean contains(E flag) {
        return (bits & flag.bit()) != 0;
    }

    /**
     * Whether no bit is set.
     *
     * @return true when the bits are 0
     */
    public boolean isEmpty() {
        return bits == 0;
    }

    /**
     * This set plus a flag.
     *
     * @param flag the flag to add
     * @return a new set
     */
    public FlagSet<E> with(E flag) {
        return new FlagSet<>(type, bits | flag.bit());
    }

    /**
     * The raw bits.
     *
     * @return the bits, as the kernel sees them
     */
    public long bits() {
        return bits;
    }

    /**
     * The bits that no constant of the enum names.
     *
     * @return those bits (0 when every bit is named)
     */
    public long unknownBits() {
        long known = 0;
        for (E e : type.getEnumConstants()) {
            known |= e.bit();
        }
        return bits & ~known;
    }

    /**
     * The named flags that are set, in bit order.
     *
     * @return an unmodifiable list
     */
    public List<E> toList() {
        List<E> out = new ArrayList<>();
        for (E e : type.getEnumConstants()) {
            if (contains(e)) {
                out.add(e);
            }
        }
        out.sort((a, b) -> Long.compareUnsigned(a.bit(), b.bit()));
        return Collections.unmodifiableList(out);
    }

    /** The names of the set flags in bit order, e.g. {@code [DIRTY_TRACKING]}; unknown bits as hex. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("[");
        for (E e : toList()) {
            if (sb.length() > 1) {
                sb.append(", ");
            }
            sb.append(e.name());
        }
        long unknown = unknownBits();
        if (unknown != 0) {
            if (sb.length() > 1) {
                sb.append(", ");
            }
            sb.append("0x").append(Long.toHexString(unknown));
        }
        return sb.append(']').toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FlagSet<?> other && other.type == type && other.bits == bits;
    }

    @Override
    public int hashCode() {
        return type.hashCode() * 31 + Long.hashCode(bits);
    }
}
