package io.tandem.actors.coordinator;

import io.tandem.proto.OpRef;
import io.tandem.schedule.Op;
import io.tandem.schedule.OpKind;

/** Converts ops between the schedule IR and their wire form. */
public final class ProtoOps {
  private ProtoOps() {}

  public static OpRef toProto(Op op, int weightVersion) {
    return OpRef.newBuilder()
        .setKind(io.tandem.proto.OpKind.valueOf(op.kind().name()))
        .setMicrobatch(op.microbatch())
        .setVirtualStage(op.virtualStage())
        .setWeightVersion(weightVersion)
        .build();
  }

  /** The schedule op of a wire op; an unknown kind is an IllegalArgumentException naming it. */
  public static Op fromProto(OpRef ref) {
    OpKind kind = switch (ref.getKind()) {
      case F -> OpKind.F;
      case B -> OpKind.B;
      case W -> OpKind.W;
      case BW -> OpKind.BW;
      default -> throw new IllegalArgumentException(
          "unknown op kind " + ref.getKindValue() + " (microbatch " + ref.getMicrobatch()
              + ", virtual stage " + ref.getVirtualStage() + ")");
    };
    return new Op(kind, ref.getMicrobatch(), ref.getVirtualStage());
  }

  /** Short form for messages: {@code F3@5}, or {@code kind99:3@5} for an unknown kind. */
  public static String describe(OpRef ref) {
    String kind = switch (ref.getKind()) {
      case F, B, W, BW -> ref.getKind().name();
      default -> "kind" + ref.getKindValue() + ":";
    };
    return kind + ref.getMicrobatch() + "@" + ref.getVirtualStage();
  }
}
