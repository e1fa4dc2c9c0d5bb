package io.tandem.actors.cluster;

import com.google.protobuf.InvalidProtocolBufferException;
import io.tandem.actors.worker.StageWorker;
import io.tandem.actors.cluster.wire.AgentProtocolCodec;
import io.tandem.actors.cluster.wire.CoordinatorProtocolCodec;
import io.tandem.actors.cluster.wire.WireBinding;
import io.tandem.actors.cluster.wire.WireRefs;
import io.tandem.actors.cluster.wire.WorkerProtocolCodec;
import java.io.NotSerializableException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * Serializes the control messages that cross JVMs (the stage worker, node agent and job master
 * protocols and the job events) as the generated protobuf messages of {@code tandem.proto}; the
 * conversions live in one codec per protocol ({@code cluster.wire}). The manifest names the
 * message. Bytes that do not decode throw {@link IllegalArgumentException}, and an unknown
 * manifest {@link NotSerializableException}, naming the manifest and what is wrong: Pekko logs
 * and drops such a message. Tensors never come here (they use the data plane); Java
 * serialization is never used.
 */
public final class TandemSerializer extends SerializerWithStringManifest {
  /**
   * Serializer id, unique in the actor system's configuration. 741_001 was the hand-written
   * codec before the protobuf one: a member of that version cannot read these bytes and says so.
   */
  public static final int IDENTIFIER = 741_002;

  private final ExtendedActorSystem system;
  private volatile ActorRefResolver resolver;
  private volatile Bindings bindings;

  /** The message bindings of every codec, by class and by manifest. */
  private record Bindings(Map<Class<?>, WireBinding<?, ?>> byType, Map<String, WireBinding<?, ?>> byManifest) {}

  /**
   * Builds nothing yet: Pekko creates serializers while it initializes its serialization
   * extension (bounded in time), so the codecs and protobuf descriptors load on first use.
   */
  public TandemSerializer(ExtendedActorSystem system) {
    this.system = system;
  }

  private Bindings table() {
    Bindings b = bindings;
    if (b == null) {
      WireRefs refs = new WireRefs(this::resolver);
      List<WireBinding<?, ?>> all = new ArrayList<>();
      all.addAll(new WorkerProtocolCodec(refs).bindings());
      all.addAll(new AgentProtocolCodec(refs).bindings());
      all.addAll(new CoordinatorProtocolCodec(refs).bindings());
      Map<Class<?>, WireBinding<?, ?>> byType = new LinkedHashMap<>();
      Map<String, WireBinding<?, ?>> byManifest = new LinkedHashMap<>();
      for (WireBinding<?, ?> w : all) {
        if (byType.put(w.type(), w) != null || byManifest.put(w.manifest(), w) != null) {
          throw new IllegalStateException("two wire bindings for " + w.type().getName() + " or " + w.manifest());
        }
      }
      b = new Bindings(Collections.unmodifiableMap(byType), Collections.unmodifiableMap(byManifest));
      bindings = b;
    }
    return b;
  }

  @Override
  public int identifier() {
    return IDENTIFIER;
  }

  /** Every message binding, in codec order (tests check each has a golden encoding). */
  public Collection<WireBinding<?, ?>> bindings() {
    return List.copyOf(table().byType().values());
  }

  private ActorRefResolver resolver() {
    ActorRefResolver r = resolver;
    if (r == null) {
      r = ActorRefResolver.get(Adapter.toTyped(system));
      resolver = r;
    }
    return r;
  }

  private WireBinding<?, ?> binding(Object o) {
    WireBinding<?, ?> b = table().byType().get(o.getClass());
    if (b == null) {
      throw new IllegalArgumentException(o.getClass().getName() + " does not cross JVMs"
          + (o instanceof StageWorker.TensorArrived ? " (tensors travel on the data plane)" : ""));
    }
    return b;
  }

  @Override
  public String manifest(Object o) {
    return binding(o).manifest();
  }

  @Override
  public byte[] toBinary(Object o) {
    return binding(o).encode(o);
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    WireBinding<?, ?> b = table().byManifest().get(manifest);
    if (b == null) {
      throw new NotSerializableException("unknown message manifest '" + manifest + "' (" + bytes.length
          + " bytes): not a Tandem control message of this version, which knows "
          + new TreeSet<>(table().byManifest().keySet()));
    }
    String what = "cannot decode " + manifest + " (" + b.protoName() + ", " + bytes.length + " bytes): ";
    try {
      return b.decode(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException(what + "not a valid protobuf encoding: " + e.getMessage(), e);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(what + e.getMessage(), e);
    }
  }
}
