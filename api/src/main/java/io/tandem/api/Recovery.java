package io.tandem.api;

/**
 * The job survived a failure: it re-planned over the surviving devices and went on from its
 * last checkpoint, as recovery listeners get it.
 *
 * @param jobId the job
 * @param resumedFromStep the step the job went back to (the last committed checkpoint's)
 * @param devices devices of the new plan
 * @param reason what failed (e.g. the node that left)
 */
public record Recovery(String jobId, long resumedFromStep, int devices, String reason) {}
