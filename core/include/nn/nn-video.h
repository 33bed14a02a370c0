/* Video streams: which frames a sequence model is fed. One rule for the
 * dataset reader (`nn train --data folder:` with clips) and nnvideoclassify,
 * so a model sees in a pipeline the frames it was trained on.
 * Include <nn/nn.h>, not this file.
 *
 *   NnFrameSampler s;
 *   nn_frame_sampler_init (&s, 5.0);            // the spec's preprocess "fps"
 *   for each frame:  if (nn_frame_sampler_take (&s, seconds)) feed it;
 */
#pragma once

typedef struct {
  double  fps;   /* samples per second of stream time; <= 0: every frame */
  double  t0;    /* the first frame's time; NAN before it */
  int64_t next;  /* index of the next sample */
} NnFrameSampler;

/* Starts a stream. s: (out caller-allocates). */
NN_API void     nn_frame_sampler_init (NnFrameSampler *s, double fps);
/* Whether the frame at `t` seconds is fed: sample k is the first frame at or
 * after k / fps seconds from the first frame, with 1 ms of slack for
 * timestamps rounded to the millisecond, as WebM and Matroska store them. A NAN time (no timestamps) feeds every frame. */
NN_API gboolean nn_frame_sampler_take (NnFrameSampler *s, double t);

/* One frame of a clip model: `input` is [T, C, H, W] with C 1 or 3 (FALSE
 * otherwise); *frame gets `pre` shaped as (C, H, W), per-channel mean and std
 * given for one channel spread over C (the spec parses "preprocess" as for a
 * flat input), and *steps (nullable) gets T. The dataset reader and
 * nnvideoclassify both take a clip model's frames this way. */
NN_API gboolean nn_clip_frame (const NnShape *input, const NnPreprocess *pre, NnPreprocess *frame, int *steps);
