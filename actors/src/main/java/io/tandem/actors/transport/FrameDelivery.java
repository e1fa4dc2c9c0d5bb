package io.tandem.actors.transport;

import io.tandem.actors.worker.StageWorker;
import io.tandem.proto.TensorFrameHeader;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorRef;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands what a {@link FrameReader} read to the workers of this node: a verified tensor as
 * {@link StageWorker.TensorArrived} to the worker of its job and target stage; a member's bad
 * frame as {@link StageWorker.TensorRejected}, so the step fails with a message instead of
 * waiting; a frame not signed by a member of its job is dropped and counted (it could otherwise
 * fail someone's job). Thread-safe (only {@code tell}s).
 */
final class FrameDelivery {
  private static final Logger LOG = LoggerFactory.getLogger(FrameDelivery.class);

  private final StageDirectory directory;
  private final AtomicLong refused = new AtomicLong();

  FrameDelivery(StageDirectory directory) {
    this.directory = directory;
  }

  long refused() {
    return refused.get();
  }

  void deliver(FrameReader.Result result) {
    if (result instanceof FrameReader.Received r) {
      received(r);
    } else if (result instanceof FrameReader.Rejected r) {
      reject(r.header(), r.reason());
    } else {
      refuse(result.header());
    }
  }

  private void received(FrameReader.Received r) {
    TensorFrameHeader h = r.header();
    if (h.getSnapshotShard() && h.getJobId().startsWith(SnapshotFrames.JOB_PREFIX)) {
      snapshotShard(h, r.tensor());
      return;
    }
    Optional<ActorRef<StageWorker.Command>> worker = directory.lookup(h.getJobId(), h.getReplica(), h.getTargetStage());
    if (worker.isPresent()) {
      directory.lanes().deliver(worker.get(), new StageWorker.TensorArrived(h, r.tensor()));
    } else if (directory.wasReleased(h.getJobId())) {
      LOG.debug("dropping a late frame of released job '{}' (step {}, stage {})", h.getJobId(), h.getStep(),
          h.getTargetStage());
    } else {
      reject(h, "frame of job '" + h.getJobId() + "' for virtual stage " + h.getTargetStage()
          + ", which no worker of that job holds on this node");
    }
  }

  private void snapshotShard(TensorFrameHeader h, HostTensor tensor) {
    try {
      directory.snapshots().received(SnapshotFrames.jobOf(h), h.getStep(), h.getTargetStage(),
          SnapshotFrames.unpack(h, tensor), h.getSnapshotDevice(), h.getSnapshotBatch());
    } catch (RuntimeException e) {
      LOG.warn("dropping a snapshot shard of job '{}' (step {}, layer {}): {}", h.getJobId(), h.getStep(),
          h.getTargetStage(), e.getMessage());
    }
  }

  private void refuse(TensorFrameHeader h) {
    if (directory.wasReleased(h.getJobId())) {
      LOG.debug("dropping a late frame of released job '{}' (step {}, stage {})", h.getJobId(), h.getStep(),
          h.getTargetStage());
      return;
    }
    refused.incrementAndGet();
    LOG.warn("data plane refused a frame claiming job '{}', step {}, stage {}: {}", h.getJobId(), h.getStep(),
        h.getTargetStage(), h.getMac().isEmpty() ? "unsigned" : "signature does not match the job's key");
  }

  private void reject(TensorFrameHeader h, String reason) {
    if (directory.authenticating() && !directory.accepts(h)) {
      refuse(h); // unreadable or unsigned: nothing shows it comes from a member
      return;
    }
    LOG.error("data plane rejected a frame (job '{}', step {}, stage {}): {}", h.getJobId(), h.getStep(),
        h.getTargetStage(), reason);
    StageWorker.TensorRejected msg = new StageWorker.TensorRejected(h, reason);
    Optional<ActorRef<StageWorker.Command>> owner = directory.lookup(h.getJobId(), h.getReplica(), h.getTargetStage());
    if (owner.isEmpty()) {
      owner = directory.anyHolding(h.getTargetStage()).map(Map.Entry::getValue);
    }
    if (owner.isPresent()) {
      owner.get().tell(msg);
    } else {
      directory.all().forEach(w -> w.tell(msg));
    }
  }
}
