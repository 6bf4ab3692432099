package io.github.iommufd4j.api;

/** An enum constant that stands for one bit of a kernel flags word. */
public interface BitFlag {
    /**
     * The bit.
     *
     * @return the single bit this constant stands for, as the kernel defines it
     */
    long bit();
}
