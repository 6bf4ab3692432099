package io.github.iommufd4j.simulator.io;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.annotation.PropertyAccessor;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.InjectableValues;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdScalarSerializer;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import io.github.iommufd4j.core.OnOffAuto;
import io.github.iommufd4j.simulator.scenario.Scenario;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The Jackson configuration of {@code docs/reference/scenario-format.md}: how scenarios are read (YAML or
 * JSON) and written (YAML), and how reports are written and read (JSON). The records carry their own binding
 * (names, required keys, defaults); this adds what the format says about scalars: integers in decimal or
 * {@code 0x} hex, {@code on}/{@code off}/{@code auto}, and no coercion between strings, numbers and booleans.
 */
final class Formats {
    private static final Pattern INTEGER = Pattern.compile("[+-]?(0[xX][0-9a-fA-F]+|0|[1-9][0-9]*)");
    private static final StdScalarSerializer<Long> HEX = new StdScalarSerializer<>(Long.class) {
        @Override
        public void serialize(Long value, JsonGenerator g, SerializerProvider p) throws IOException {
            g.writeNumber("0x" + Long.toHexString(value));
        }
    };
    /** Reads YAML scenarios. */
    static final ObjectMapper YAML = scenarioReader(new YAMLFactory());
    /** Reads JSON scenarios. */
    static final ObjectMapper JSON = scenarioReader(new JsonFactory());
    /** Writes scenarios as YAML: plain scalars where YAML reads them back as the same strings, hex addresses. */
    static final ObjectMapper YAML_WRITER = new ObjectMapper(YAMLFactory.builder()
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES, YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
            .enable(YAMLGenerator.Feature.INDENT_ARRAYS_WITH_INDICATOR)
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER, YAMLGenerator.Feature.USE_NATIVE_TYPE_ID).build())
            .registerModule(scalars().addSerializer(Long.class, HEX).addSerializer(long.class, HEX))
            .setSerializationInclusion(JsonInclude.Include.NON_NULL)
            .setVisibility(PropertyAccessor.IS_GETTER, JsonAutoDetect.Visibility.NONE)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);
    /** Writes and reads reports; {@code isOk()} and the like are no keys of the format. */
    static final ObjectMapper REPORT = new ObjectMapper()
            .setVisibility(PropertyAccessor.IS_GETTER, JsonAutoDetect.Visibility.NONE)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    private Formats() {
    }

    /** The reader of a file name's syntax ({@code .yaml}, {@code .yml}, {@code .json}), else null. */
    static ObjectMapper readerFor(String fileName) {
        String name = fileName.toLowerCase(Locale.ROOT);
        return name.endsWith(".yaml") || name.endsWith(".yml") ? YAML : name.endsWith(".json") ? JSON : null;
    }

    /** The default name of a scenario read from {@code fileName}, injected when the file names none. */
    static InjectableValues defaultName(String fileName) {
        String base = Path.of(fileName).getFileName().toString();
        return new InjectableValues.Std(Map.of(Scenario.FILE_NAME, base.substring(0, base.lastIndexOf('.'))));
    }

    private static ObjectMapper scenarioReader(JsonFactory syntax) {
        ObjectMapper m = new ObjectMapper(syntax).registerModule(scalars()
                        .addDeserializer(Long.class, new IntegerText<>(Long.class, false))
                        .addDeserializer(long.class, new IntegerText<>(long.class, false))
                        .addDeserializer(Integer.class, new IntegerText<>(Integer.class, true))
                        .addDeserializer(int.class, new IntegerText<>(int.class, true)))
                .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS);
        m.coercionConfigFor(LogicalType.Textual).setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
        return ProblemCollector.install(m);
    }

    /** {@code on}, {@code off}, {@code auto}: written as strings, read from strings or YAML's on/off booleans. */
    private static SimpleModule scalars() {
        SimpleModule scalars = new SimpleModule();
        scalars.setMixInAnnotation(OnOffAuto.class, Spelled.class);
        return scalars.addDeserializer(OnOffAuto.class, new StdScalarDeserializer<>(OnOffAuto.class) {
            @Override
            public OnOffAuto deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
                Optional<OnOffAuto> v = p.currentToken().isScalarValue() ? OnOffAuto.ofSpelling(p.getText())
                        : Optional.empty();
                return v.isPresent() ? v.get() : (OnOffAuto) ctxt.handleUnexpectedToken(OnOffAuto.class, p);
            }
        });
    }

    /** {@link OnOffAuto} is core's, free of Jackson: this mix-in writes it as its spelling. */
    private interface Spelled {
        @JsonValue
        String spelling();
    }

    /** An integer in decimal or {@code 0x} hex, written as a number or as a string (JSON has no hex). */
    private static final class IntegerText<T> extends StdScalarDeserializer<T> {
        private final boolean narrow;

        IntegerText(Class<T> type, boolean narrow) {
            super(type);
            this.narrow = narrow;
        }

        @Override
        @SuppressWarnings("unchecked")
        public T deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            if (!p.hasToken(JsonToken.VALUE_NUMBER_INT) && !p.hasToken(JsonToken.VALUE_STRING)) {
                return (T) ctxt.handleUnexpectedToken(handledType(), p);
            }
            String text = p.getText().strip();
            if (INTEGER.matcher(text).matches()) {
                try {
                    long v = Long.decode(text);
                    if (!narrow || v == (int) v) {
                        return (T) (narrow ? (Object) (int) v : (Object) v);
                    }
                } catch (NumberFormatException tooLarge) {
                    // reported below
                }
            }
            return (T) ctxt.handleWeirdStringValue(handledType(), text, "not an integer of this size");
        }
    }
}
