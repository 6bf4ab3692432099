package io.github.iommufd4j.backend.mock;

import io.github.iommufd4j.api.BackendObject;

/** An object of the {@link ObjectTable}: an {@link Ioas}, a {@link Hwpt} or a bound {@link Device}, by id (K-ID-1). */
abstract sealed class MockObject permits Ioas, Hwpt, Device {
    final int id;

    MockObject(int id) {
        this.id = id;
    }

    abstract BackendObject.Type type();

    /** How messages name it: {@code IOAS 1}, {@code HWPT 4}, {@code auto-domain HWPT 3}, {@code device vf0}. */
    abstract String describe();
}
