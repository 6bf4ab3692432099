/**
 * The iommufd4j SPI: what a backend implements ({@link io.github.iommufd4j.api.IommufdBackendProvider},
 * {@link io.github.iommufd4j.api.IommufdBackend} and its optional abilities), the decorators any backend can be
 * given ({@link io.github.iommufd4j.api.ForwardingIommufdBackend}, {@link io.github.iommufd4j.api.RecordingBackend},
 * {@link io.github.iommufd4j.api.FaultInjectingBackend}) and the value types every module shares (flags with the
 * kernel's bit values, {@link io.github.iommufd4j.api.Errno}, {@link io.github.iommufd4j.api.DirtyBitmap}). No
 * dependencies.
 */
package io.github.iommufd4j.api;
