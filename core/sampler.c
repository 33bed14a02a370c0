/* Video streams: frame sampling by time, a clip model's frames; see nn-video.h. */
#include "nn-private.h"

void
nn_frame_sampler_init (NnFrameSampler *s, double fps)
{
  g_return_if_fail (s != NULL);
  s->fps = fps;
  s->t0 = NAN;
  s->next = 0;
}

gboolean
nn_frame_sampler_take (NnFrameSampler *s, double t)
{
  g_return_val_if_fail (s != NULL, FALSE);
  if (isnan (t))
    return TRUE;
  if (isnan (s->t0))
    s->t0 = t;
  if (!(s->fps > 0.0))
    return TRUE;
  /* 1 ms of slack: containers round timestamps to the millisecond (WebM
   * stores frame 4 of a 12 fps video at 0.333 s, before 1/3 s) */
  int64_t k = (int64_t) floor ((t - s->t0 + 1e-3) * s->fps);
  if (k < s->next)
    return FALSE;
  s->next = k + 1;
  return TRUE;
}

gboolean
nn_clip_frame (const NnShape *input, const NnPreprocess *pre, NnPreprocess *frame, int *steps)
{
  g_return_val_if_fail (input && pre && frame, FALSE);
  if (input->ndim != 4 || (input->dim[1] != 1 && input->dim[1] != 3) || input->dim[0] < 1)
    return FALSE;
  *frame = *pre;
  if (frame->channels != input->dim[1])
    for (int c = 1; c < 3; c++) {
      frame->mean[c] = frame->mean[0];
      frame->std[c] = frame->std[0];
    }
  frame->channels = (int) input->dim[1];
  frame->height = (int) input->dim[2];
  frame->width = (int) input->dim[3];
  if (steps)
    *steps = (int) input->dim[0];
  return TRUE;
}
