/* Frame sampling by time; see nn-video.h. */
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
  int64_t k = (int64_t) floor ((t - s->t0) * s->fps + 1e-3);
  if (k < s->next)
    return FALSE;
  s->next = k + 1;
  return TRUE;
}
