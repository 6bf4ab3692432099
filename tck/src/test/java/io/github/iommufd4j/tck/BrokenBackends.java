package io.github.iommufd4j.tck;

import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.DirtyBitmap;
import io.github.iommufd4j.api.DmaSimulation;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.api.FlagSet;
import io.github.iommufd4j.api.HwptAllocFlag;
import io.github.iommufd4j.api.IommufdBackend;
import io.github.iommufd4j.api.IommufdException;
import io.github.iommufd4j.backend.mock.MockBackend;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;

/** Deliberately broken variants of the mock, each breaking one kernel rule, for the TCK to catch. */
final class BrokenBackends {
    private BrokenBackends() {
    }

    /** A fixture opening a fresh mock wrapped by {@code decorator}; devices come from the mock's provisioning. */
    record DecoratedMockFixture(Function<MockBackend, IommufdBackend> decorator) implements TckFixture {
        @Override
        public IommufdBackend open() {
            return decorator.apply(new MockBackend());
        }

        @Override
        public DeviceOffer device(IommufdBackend backend, DeviceKind kind, String name) {
            return DeviceOffer.made(backend.provisioning().orElseThrow().createDevice(ProvisioningFixture.spec(backend.provisioning().orElseThrow(), kind, name)));
        }
    }

    /** K-ALLOC-6 answered EINVAL instead of EOPNOTSUPP. */
    static final class WrongErrno extends ForwardingBackend {
        WrongErrno(MockBackend delegate) {
            super(delegate);
        }

        @Override
        public int hwptAlloc(int devId, int ptId, FlagSet<HwptAllocFlag> flags) {
            try {
                return delegate.hwptAlloc(devId, ptId, flags);
            } catch (IommufdException e) {
                if (e.errno() == Errno.EOPNOTSUPP && flags.contains(HwptAllocFlag.DIRTY_TRACKING)) {
                    throw new IommufdException(BackendOp.HWPT_ALLOC, e.arguments(), Errno.EINVAL);
                }
                throw e;
            }
        }
    }

    /** An incompatible ATTACH (K-ATT-2) answered EBUSY instead of EINVAL. */
    static final class AttachEbusy extends ForwardingBackend {
        AttachEbusy(MockBackend delegate) {
            super(delegate);
        }

        @Override
        public int attach(int devId, int ptId) {
            try {
                return delegate.attach(devId, ptId);
            } catch (IommufdException e) {
                if (e.errno() == Errno.EINVAL) {
                    throw new IommufdException(BackendOp.ATTACH, e.arguments(), Errno.EBUSY);
                }
                throw e;
            }
        }
    }

    /** A backend that cannot make pages dirty: no DmaSimulation, so the rules that need it cannot run. */
    static final class NoDmaSimulation extends ForwardingBackend {
        NoDmaSimulation(MockBackend delegate) {
            super(delegate);
        }

        @Override
        public Optional<DmaSimulation> dmaSimulation() {
            return Optional.empty();
        }
    }

    /** A failed HWPT_ALLOC leaves a HWPT behind (a partial object on the error path). */
    static final class LeakOnFailedAlloc extends ForwardingBackend {
        LeakOnFailedAlloc(MockBackend delegate) {
            super(delegate);
        }

        @Override
        public int hwptAlloc(int devId, int ptId, FlagSet<HwptAllocFlag> flags) {
            try {
                return delegate.hwptAlloc(devId, ptId, flags);
            } catch (IommufdException e) {
                try {
                    delegate.hwptAlloc(devId, ptId, HwptAllocFlag.none()); // the leak
                } catch (IommufdException ignored) {
                    // nothing leaked this time
                }
                throw e;
            }
        }
    }

    /** GET_DIRTY_BITMAP overwrites the buffer instead of OR-ing into it. */
    static final class OverwritingBitmap extends ForwardingBackend {
        OverwritingBitmap(MockBackend delegate) {
            super(delegate);
        }

        @Override
        public void getDirtyBitmap(int hwptId, long iova, long length, long pageSize, boolean noClear, DirtyBitmap into) {
            into.clear();
            delegate.getDirtyBitmap(hwptId, iova, length, pageSize, noClear, into);
        }
    }

    /** SET_DIRTY_TRACKING(0) is checked but then ignored: tracking goes on. */
    static final class IgnoredDisable extends ForwardingBackend {
        private final Set<Integer> enabled = new HashSet<>();

        IgnoredDisable(MockBackend delegate) {
            super(delegate);
        }

        @Override
        public void setDirtyTracking(int hwptId, boolean enable) {
            delegate.setDirtyTracking(hwptId, enable); // errors as the kernel gives them
            if (enable) {
                enabled.add(hwptId);
            } else if (enabled.contains(hwptId)) {
                delegate.setDirtyTracking(hwptId, true); // ... and silently back on
            }
        }
    }

    /**
     * Enabling does not clear the dirty bits: bits present when tracking is switched (either way) survive and are
     * reported by the next read, as if SET_DIRTY_TRACKING skipped the clearing pass.
     */
    static final class EnableKeepsDirtyBits extends ForwardingBackend {
        private static final long PAGE = 4096;
        private final Map<Integer, Integer> ioasOfHwpt = new HashMap<>();
        private final Map<Integer, TreeMap<Long, Long>> mappings = new HashMap<>();
        private final Map<Integer, TreeSet<Long>> stalePages = new HashMap<>();

        EnableKeepsDirtyBits(MockBackend delegate) {
            super(delegate);
        }

        @Override
        public int hwptAlloc(int devId, int ptId, FlagSet<HwptAllocFlag> flags) {
            int id = delegate.hwptAlloc(devId, ptId, flags);
            ioasOfHwpt.put(id, ptId);
            return id;
        }

        @Override
        public void ioasMap(int ioasId, long iova, long length) {
            delegate.ioasMap(ioasId, iova, length);
            mappings.computeIfAbsent(ioasId, k -> new TreeMap<>()).put(iova, length);
        }

        @Override
        public void ioasUnmap(int ioasId, long iova, long length) {
            delegate.ioasUnmap(ioasId, iova, length);
            TreeMap<Long, Long> m = mappings.getOrDefault(ioasId, new TreeMap<>());
            if (iova == 0 && length == -1L) {
                m.clear();
            } else {
                m.subMap(iova, true, iova + length - 1, true).clear();
            }
        }

        @Override
        public void setDirtyTracking(int hwptId, boolean enable) {
            Integer ioas = ioasOfHwpt.get(hwptId);
            if (ioas != null) {
                for (Map.Entry<Long, Long> area : mappings.getOrDefault(ioas, new TreeMap<>()).entrySet()) {
                    DirtyBitmap bits = DirtyBitmap.forRange(area.getValue(), PAGE);
                    try {
                        delegate.getDirtyBitmap(hwptId, area.getKey(), area.getValue(), PAGE, true, bits);
                    } catch (IommufdException notDirty) {
                        continue;
                    }
                    long base = area.getKey();
                    bits.forEachSetBit(i -> stalePages.computeIfAbsent(hwptId, k -> new TreeSet<>()).add(base + i * PAGE));
                }
            }
            delegate.setDirtyTracking(hwptId, enable);
        }

        @Override
        public void getDirtyBitmap(int hwptId, long iova, long length, long pageSize, boolean noClear, DirtyBitmap into) {
            delegate.getDirtyBitmap(hwptId, iova, length, pageSize, noClear, into);
            TreeSet<Long> stale = stalePages.get(hwptId);
            if (stale == null) {
                return;
            }
            var inRange = stale.subSet(iova, true, iova + length - 1, true);
            for (long page : inRange) {
                into.set((page - iova) / pageSize);
            }
            if (!noClear) {
                inRange.clear();
            }
        }
    }
}
