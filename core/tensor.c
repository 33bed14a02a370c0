/* Shapes and tensors. */
#include "nn-private.h"

int64_t
nn_shape_numel (const NnShape *s)
{
  int64_t n = 1;
  for (int i = 0; i < s->ndim; i++)
    n *= s->dim[i];
  return n;
}

gboolean
nn_shape_equal (const NnShape *a, const NnShape *b)
{
  if (a->ndim != b->ndim)
    return FALSE;
  for (int i = 0; i < a->ndim; i++)
    if (a->dim[i] != b->dim[i])
      return FALSE;
  return TRUE;
}

char *
nn_shape_to_string (const NnShape *s, char *buf, gsize len)
{
  gsize o = g_snprintf (buf, len, "[");
  for (int i = 0; i < s->ndim && o < len; i++)
    o += g_snprintf (buf + o, len - o, i ? ", %" G_GINT64_FORMAT : "%" G_GINT64_FORMAT, s->dim[i]);
  if (o < len)
    g_snprintf (buf + o, len - o, "]");
  return buf;
}

NnTensor *
nn_tensor_new (const NnShape *shape)
{
  g_return_val_if_fail (shape && shape->ndim >= 0 && shape->ndim <= NN_MAX_DIMS, NULL);
  NnTensor *t = g_new0 (NnTensor, 1);
  t->shape = *shape;
  t->data = g_new0 (float, MAX (nn_shape_numel (shape), 1));
  return t;
}

NnTensor *
nn_tensor_new_2d (int64_t rows, int64_t cols)
{
  NnShape s = { .ndim = 2, .dim = { rows, cols } };
  return nn_tensor_new (&s);
}

void
nn_tensor_free (NnTensor *t)
{
  if (!t)
    return;
  g_free (t->data);
  g_free (t);
}
