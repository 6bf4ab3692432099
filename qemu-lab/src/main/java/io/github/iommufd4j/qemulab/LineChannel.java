package io.github.iommufd4j.qemulab;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/**
 * Lines over a blocking socket channel, read and written straight on the channel: one thread may block reading
 * while another writes (the stream adapters of {@link java.nio.channels.Channels} share one lock and would not let
 * it).
 */
final class LineChannel implements AutoCloseable {
    private final SocketChannel channel;
    private final ByteBuffer in = ByteBuffer.allocate(1 << 16);
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private final Object writeLock = new Object();

    LineChannel(SocketChannel channel) {
        this.channel = channel;
        in.flip();
    }

    /** The next line without its end ({@code \n}, and a {@code \r} before it), or null at the end of the stream. */
    String readLine() throws IOException {
        line.reset();
        while (true) {
            while (in.hasRemaining()) {
                byte b = in.get();
                if (b == '\n') {
                    byte[] bytes = line.toByteArray();
                    int n = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                    return new String(bytes, 0, n, StandardCharsets.UTF_8);
                }
                line.write(b);
            }
            in.clear();
            int r = channel.read(in);
            in.flip();
            if (r < 0) {
                return null;
            }
        }
    }

    /** Writes {@code text} and a {@code \n}. */
    void writeLine(String text) throws IOException {
        ByteBuffer b = ByteBuffer.wrap((text + "\n").getBytes(StandardCharsets.UTF_8));
        synchronized (writeLock) {
            while (b.hasRemaining()) {
                channel.write(b);
            }
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
