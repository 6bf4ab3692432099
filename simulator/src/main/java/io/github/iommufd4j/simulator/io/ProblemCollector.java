package io.github.iommufd4j.simulator.io;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.BeanProperty;
import com.fasterxml.jackson.databind.DeserializationConfig;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.BeanDeserializerModifier;
import com.fasterxml.jackson.databind.deser.DeserializationProblemHandler;
import com.fasterxml.jackson.databind.deser.std.DelegatingDeserializer;
import com.fasterxml.jackson.databind.exc.InvalidTypeIdException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.jsontype.TypeDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.type.CollectionType;
import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.core.OnOffAuto;
import io.github.iommufd4j.simulator.scenario.ScenarioValueException;
import io.github.iommufd4j.simulator.scenario.Step;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Every problem of one file, gathered while databind binds it. Jackson finds them: unknown keys, missing
 * required keys, wrong types, unknown steps, and the records' own checks. Each deserializer is wrapped so a
 * value Jackson rejects is recorded with its key path and position, skipped, and read as null, and binding
 * goes on; a record that then cannot be built from that null is the same problem, not another.
 */
final class ProblemCollector {
    /** Steps a file may leave without a value ({@code - sync:}); the others need one. */
    private static final Map<Class<?>, Step> WITHOUT_VALUE = Map.of(Step.StartDirtyTracking.class,
            new Step.StartDirtyTracking(), Step.StopDirtyTracking.class, new Step.StopDirtyTracking(),
            Step.Sync.class, Step.Sync.allMemory());
    private final FilePositions positions;
    private final List<Problem> problems;

    ProblemCollector(FilePositions positions, List<Problem> problems) {
        this.positions = positions;
        this.problems = problems;
    }

    /** Makes {@code mapper} report its problems to the collector in the {@link ProblemCollector} attribute. */
    static ObjectMapper install(ObjectMapper mapper) {
        return mapper.addHandler(new Handler()).registerModule(new SimpleModule().setDeserializerModifier(
                new BeanDeserializerModifier() { // every deserializer: beans, scalars, enums and lists
                    @Override
                    public JsonDeserializer<?> modifyDeserializer(DeserializationConfig c, BeanDescription b,
                                                                  JsonDeserializer<?> d) {
                        return new Collecting(d, null);
                    }

                    @Override
                    public JsonDeserializer<?> modifyEnumDeserializer(DeserializationConfig c, JavaType t,
                                                                      BeanDescription b, JsonDeserializer<?> d) {
                        return new Collecting(d, null);
                    }

                    @Override
                    public JsonDeserializer<?> modifyCollectionDeserializer(DeserializationConfig c, CollectionType t,
                                                                            BeanDescription b, JsonDeserializer<?> d) {
                        return new Collecting(d, null);
                    }
                }));
    }

    private static ProblemCollector of(DeserializationContext ctxt) {
        return (ProblemCollector) ctxt.getAttribute(ProblemCollector.class);
    }

    /** Records what Jackson rejected in the value at {@code path}, the parser still where Jackson stopped. */
    void add(JsonMappingException e, JsonParser p, String path) throws IOException {
        String at = path;
        for (JsonMappingException.Reference r : e.getPath()) {
            at = r.getFieldName() == null ? at + "[" + r.getIndex() + "]" : join(at, r.getFieldName());
        }
        Class<?> type = e instanceof MismatchedInputException m ? m.getTargetType() : null;
        Object from = e.getPath().isEmpty() ? null : e.getPath().get(e.getPath().size() - 1).getFrom();
        if (e instanceof InvalidTypeIdException t) {
            String key = join(at, t.getTypeId());
            add(positions.keyAt(key), key, "unknown step; expected one of " + Stream.of(t.getBaseType()
                    .getRawClass().getAnnotation(JsonSubTypes.class).value()).map(JsonSubTypes.Type::name)
                    .collect(Collectors.joining(", ")));
        } else if (p.hasToken(JsonToken.FIELD_NAME)) {
            String key = join(at, p.currentName());
            add(positions.keyAt(key), key, "a second key in one step; expected exactly one key per step (write each"
                    + " step as its own list item)");
        } else if (from instanceof Class<?> record && !positions.written(at)) {
            addAt(at, "missing required key; expected " + description(record, at, type));
            // Jackson reports a map's unknown keys once its record is built, which a missing key prevents
            positions.keysIn(path).filter(k -> !keys(record).contains(k))
                    .forEach(k -> unknownKey(join(path, k), record));
        } else {
            addAt(at, "found " + Problem.found(p) + "; expected " + expected(type));
        }
    }

    private void add(JsonLocation where, String path, String message) {
        problems.add(new Problem(where, path, message));
    }

    private void addAt(String path, String message) {
        add(positions.valueAt(path), path, message);
    }

    private void unknownKey(String key, Class<?> record) {
        List<String> known = keys(record);
        add(positions.keyAt(key), key, "unknown key; expected " + (known.isEmpty() ? "no keys ({})"
                : "one of " + String.join(", ", known)));
    }

    /** Whether a problem was recorded for the value at {@code path} or inside it. */
    private boolean hasProblemWithin(String path) {
        return problems.stream().anyMatch(p -> path.isEmpty() || p.path().equals(path)
                || p.path().startsWith(path + ".") || p.path().startsWith(path + "["));
    }

    private static String join(String path, String key) {
        return path.isEmpty() || key.isEmpty() ? path + key : path + "." + key;
    }

    /** The {@code @JsonPropertyDescription} of the key at the end of {@code path}, else its type's. */
    private static String description(Class<?> record, String path, Class<?> type) {
        String key = path.substring(path.lastIndexOf('.') + 1);
        return Stream.of(record.getDeclaredFields()).filter(f -> f.getName().equals(key))
                .map(f -> f.getAnnotation(JsonPropertyDescription.class)).filter(d -> d != null)
                .map(JsonPropertyDescription::value).findFirst().orElse(expected(type));
    }

    /** What a value of {@code type} looks like in a scenario file, for the types not described where declared. */
    private static final Map<Class<?>, String> EXPECTED = Map.of(boolean.class, "true or false",
            Boolean.class, "true or false", String.class, "a string", OnOffAuto.class, "on, off or auto",
            int.class, "an integer (decimal or 0x hex, at most 0x7fffffff)",
            Integer.class, "an integer (decimal or 0x hex, at most 0x7fffffff)",
            long.class, "an integer (decimal or 0x hex, at most 0x7fffffffffffffff)",
            Long.class, "an integer (decimal or 0x hex, at most 0x7fffffffffffffff)",
            Errno.class, "a Linux errno name, one of " + names(Stream.of(Errno.values()).filter(e -> e != Errno.UNKNOWN)),
            BackendOp.class, "one of " + names(Stream.of(BackendOp.values())));

    /** What a value of {@code type} looks like in a scenario file. */
    static String expected(Class<?> type) {
        JsonClassDescription described = type == null ? null : type.getAnnotation(JsonClassDescription.class);
        return type == null ? "a value" : described != null ? described.value() : EXPECTED.containsKey(type)
                ? EXPECTED.get(type) : Collection.class.isAssignableFrom(type) ? "a list"
                : "a map {" + String.join(", ", keys(type)) + "}";
    }

    private static String names(Stream<? extends Enum<?>> values) {
        return values.map(Enum::name).collect(Collectors.joining(", "));
    }

    private static List<String> keys(Class<?> record) {
        return record.isRecord() ? Stream.of(record.getRecordComponents()).map(RecordComponent::getName).toList()
                : List.of();
    }

    /**
     * Unknown keys are recorded and skipped, so the rest of the map is still read; a record's own check is
     * recorded and the record read as null; a step may have no value.
     */
    private static final class Handler extends DeserializationProblemHandler {
        @Override
        public boolean handleUnknownProperty(DeserializationContext ctxt, JsonParser p, JsonDeserializer<?> deser,
                                             Object bean, String name) throws IOException {
            // Jackson replays a record's unknown keys once it is built, the file's parser at the record's end
            JsonParser file = ctxt.getParser();
            of(ctxt).unknownKey(p == file ? FilePositions.path(p) : join(FilePositions.path(file), name),
                    deser.handledType());
            p.skipChildren();
            return true;
        }

        @Override
        public Object handleInstantiationProblem(DeserializationContext ctxt, Class<?> type, Object argument,
                                                 Throwable wrapped) {
            ProblemCollector collector = of(ctxt);
            String path = FilePositions.path(ctxt.getParser());
            Throwable t = wrapped.getCause() == null ? wrapped : wrapped.getCause(); // the record's own exception
            if (!collector.hasProblemWithin(path)) { // else it was built from the null of a problem recorded inside
                String key = t instanceof ScenarioValueException v ? join(path, v.problem().path()) : path;
                collector.addAt(key, t instanceof ScenarioValueException v ? v.problem().message() : t.getMessage());
            }
            return null;
        }

        @Override
        public Object handleUnexpectedToken(DeserializationContext ctxt, JavaType type, JsonToken t, JsonParser p,
                                            String message) {
            Step step = t == JsonToken.VALUE_NULL ? WITHOUT_VALUE.get(type.getRawClass()) : null;
            return step != null ? step : NOT_HANDLED;
        }
    }

    /**
     * A deserializer that records the problems of its value instead of stopping the whole file; for a property
     * with a {@code defaultValue}, it reads that text as the value of a key the file leaves out.
     */
    private static final class Collecting extends DelegatingDeserializer {
        private final String defaultText;
        private Object defaultValue;

        Collecting(JsonDeserializer<?> delegate, String defaultText) {
            super(delegate);
            this.defaultText = defaultText;
        }

        @Override
        protected JsonDeserializer<?> newDelegatingInstance(JsonDeserializer<?> delegate) {
            return new Collecting(delegate, defaultText);
        }

        @Override
        public JsonDeserializer<?> createContextual(DeserializationContext ctxt, BeanProperty property)
                throws JsonMappingException {
            JsonDeserializer<?> d = ((Collecting) super.createContextual(ctxt, property))._delegatee;
            return new Collecting(d, property == null ? null : property.getMetadata().getDefaultValue());
        }

        @Override
        public Object getAbsentValue(DeserializationContext ctxt) throws JsonMappingException {
            if (defaultText != null && defaultValue == null) {
                try (JsonParser p = Formats.YAML.createParser(defaultText)) { // the default, written as in a file
                    p.nextToken();
                    defaultValue = _delegatee.deserialize(p, ctxt);
                } catch (IOException e) {
                    throw JsonMappingException.from(ctxt, "defaultValue '" + defaultText + "' of " + handledType(), e);
                }
            }
            return defaultText != null ? defaultValue : super.getAbsentValue(ctxt);
        }

        /** A null written in the file (Jackson asks the deserializer of the key what null means). */
        @Override
        public Object getNullValue(DeserializationContext ctxt) throws JsonMappingException {
            JsonParser p = ctxt.getParser();
            if (p != null && p.hasToken(JsonToken.VALUE_NULL)) {
                String path = FilePositions.path(p);
                of(ctxt).addAt(path, "found no value (null); expected " + expected(handledType()));
            }
            return super.getNullValue(ctxt);
        }

        @Override
        public Object deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            return read(p, ctxt, null);
        }

        @Override
        public Object deserializeWithType(JsonParser p, DeserializationContext ctxt, TypeDeserializer types)
                throws IOException {
            return read(p, ctxt, types);
        }

        private Object read(JsonParser p, DeserializationContext ctxt, TypeDeserializer types) throws IOException {
            String path = FilePositions.path(p);
            int end = p.getParsingContext().getNestingDepth() + (p.currentToken().isStructStart() ? 0 : 1);
            try {
                return types == null ? _delegatee.deserialize(p, ctxt) : _delegatee.deserializeWithType(p, ctxt, types);
            } catch (JsonMappingException e) {
                if (e.getCause() instanceof StreamReadException) {
                    throw e; // broken syntax, reported by FilePositions: nothing more can be read
                }
                of(ctxt).add(e, p, path);
                while (p.getParsingContext().getNestingDepth() >= end && p.nextToken() != null) {
                    // skip what is left of the value
                }
                return null;
            }
        }
    }
}
