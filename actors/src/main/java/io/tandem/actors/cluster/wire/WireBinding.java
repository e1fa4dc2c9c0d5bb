package io.tandem.actors.cluster.wire;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import java.util.function.Function;

/**
 * How one message class crosses JVMs: its manifest (a short name that never changes), the
 * generated protobuf message it travels as, and the conversions both ways. {@code fromProto}
 * throws {@link IllegalArgumentException} naming the field that is missing or wrong.
 *
 * @param <T> the Java message (a record of an actor protocol)
 * @param <P> its protobuf message
 */
public record WireBinding<T, P extends Message>(String manifest, Class<T> type, P prototype,
    Function<? super T, P> toProto, Function<? super P, ? extends T> fromProto) {

  /** Binds {@code type} to {@code prototype}'s message under {@code manifest}. */
  public static <T, P extends Message> WireBinding<T, P> of(String manifest, Class<T> type, P prototype,
      Function<? super T, P> toProto, Function<? super P, ? extends T> fromProto) {
    return new WireBinding<>(manifest, type, prototype, toProto, fromProto);
  }

  /** Full protobuf name of the message it travels as, e.g. {@code tandem.WorkerProtocol.RunStep}. */
  public String protoName() {
    return prototype.getDescriptorForType().getFullName();
  }

  /** The protobuf bytes of {@code message} (an instance of {@link #type}). */
  public byte[] encode(Object message) {
    return toProto.apply(type.cast(message)).toByteArray();
  }

  /** The message {@code bytes} encode; unreadable bytes or a missing field throw. */
  public T decode(byte[] bytes) throws InvalidProtocolBufferException {
    @SuppressWarnings("unchecked")
    P proto = (P) prototype.getParserForType().parseFrom(bytes);
    return fromProto.apply(proto);
  }

  /** Throws naming {@code field} unless it is {@code present} (message fields the receiver needs). */
  public static void require(boolean present, String field) {
    if (!present) {
      throw new IllegalArgumentException(field + " is missing");
    }
  }
}
