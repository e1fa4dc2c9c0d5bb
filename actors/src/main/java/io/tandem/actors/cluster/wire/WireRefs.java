package io.tandem.actors.cluster.wire;

import java.util.List;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;

/** Actor refs on the wire: their {@link ActorRefResolver} serialization format strings. */
public final class WireRefs {
  private final Supplier<ActorRefResolver> resolver;

  /** {@code resolver} is asked on first use (the serializer exists before the typed system). */
  public WireRefs(Supplier<ActorRefResolver> resolver) {
    this.resolver = resolver;
  }

  /** The string form of {@code ref}. */
  public String write(ActorRef<?> ref) {
    return resolver.get().toSerializationFormat(ref);
  }

  /** The string forms of {@code refs}, in order. */
  public List<String> writeAll(List<? extends ActorRef<?>> refs) {
    return refs.stream().map(this::write).toList();
  }

  /** The ref {@code value} names; an empty {@code value} throws naming {@code field}. */
  public <T> ActorRef<T> read(String field, String value) {
    if (value.isEmpty()) {
      throw new IllegalArgumentException(field + " (an actor ref) is missing");
    }
    return resolver.get().resolveActorRef(value);
  }

  /** The refs {@code values} name, in order; an empty one throws naming {@code field} and its index. */
  public <T> List<ActorRef<T>> readAll(String field, List<String> values) {
    return IntStream.range(0, values.size())
        .mapToObj(i -> this.<T>read(field + "[" + i + "]", values.get(i))).toList();
  }
}
