/* Classification results on buffers: see nn-classification-meta.h. */
#include "nn-classification-meta.h"

GstStructure *
nn_classification_new (guint k, const char *const *labels, const gint *indices, const gdouble *scores)
{
  g_return_val_if_fail (k > 0 && labels && indices && scores, NULL);
  GValue lab = G_VALUE_INIT, idx = G_VALUE_INIT, sco = G_VALUE_INIT;
  gst_value_array_init (&lab, k);
  gst_value_array_init (&idx, k);
  gst_value_array_init (&sco, k);
  for (guint i = 0; i < k; i++) {
    GValue v = G_VALUE_INIT;
    g_value_init (&v, G_TYPE_STRING);
    g_value_set_string (&v, labels[i]);
    gst_value_array_append_value (&lab, &v);
    g_value_unset (&v);
    g_value_init (&v, G_TYPE_INT);
    g_value_set_int (&v, indices[i]);
    gst_value_array_append_value (&idx, &v);
    g_value_unset (&v);
    g_value_init (&v, G_TYPE_DOUBLE);
    g_value_set_double (&v, scores[i]);
    gst_value_array_append_value (&sco, &v);
    g_value_unset (&v);
  }
  GstStructure *s = gst_structure_new (NN_CLASSIFICATION_NAME, "label", G_TYPE_STRING, labels[0],
                                       "class-index", G_TYPE_INT, indices[0], "score", G_TYPE_DOUBLE, scores[0], NULL);
  gst_structure_take_value (s, "top-k-labels", &lab);
  gst_structure_take_value (s, "top-k-indices", &idx);
  gst_structure_take_value (s, "top-k-scores", &sco);
  return s;
}

GstVideoRegionOfInterestMeta *
nn_buffer_add_classification (GstBuffer *buf, guint width, guint height, GstStructure *s)
{
  g_return_val_if_fail (GST_IS_BUFFER (buf) && gst_buffer_is_writable (buf), NULL);
  g_return_val_if_fail (s != NULL, NULL);
  GstVideoRegionOfInterestMeta *meta =
    gst_buffer_add_video_region_of_interest_meta (buf, NN_CLASSIFICATION_NAME, 0, 0, width, height);
  gst_video_region_of_interest_meta_add_param (meta, s);
  return meta;
}

const GstStructure *
nn_buffer_get_classification_structure (GstBuffer *buf)
{
  g_return_val_if_fail (GST_IS_BUFFER (buf), NULL);
  gpointer state = NULL;
  GstMeta *m;
  GQuark type = g_quark_from_static_string (NN_CLASSIFICATION_NAME);
  while ((m = gst_buffer_iterate_meta_filtered (buf, &state, GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    GstVideoRegionOfInterestMeta *roi = (GstVideoRegionOfInterestMeta *) m;
    if (roi->roi_type != type)
      continue;
    GstStructure *s = gst_video_region_of_interest_meta_get_param (roi, NN_CLASSIFICATION_NAME);
    if (s)
      return s;
  }
  return NULL;
}

gboolean
nn_buffer_get_classification (GstBuffer *buf, const char **label, gint *index, gdouble *score)
{
  const GstStructure *s = nn_buffer_get_classification_structure (buf);
  if (!s)
    return FALSE;
  if (label)
    *label = gst_structure_get_string (s, "label");
  if (index && !gst_structure_get_int (s, "class-index", index))
    *index = -1;
  if (score && !gst_structure_get_double (s, "score", score))
    *score = 0.0;
  return TRUE;
}

guint
nn_classification_n_top (const GstStructure *s)
{
  g_return_val_if_fail (s != NULL, 0);
  const GValue *lab = gst_structure_get_value (s, "top-k-labels");
  const GValue *sco = gst_structure_get_value (s, "top-k-scores");
  if (!lab || !sco || !GST_VALUE_HOLDS_ARRAY (lab) || !GST_VALUE_HOLDS_ARRAY (sco))
    return 0;
  return MIN (gst_value_array_get_size (lab), gst_value_array_get_size (sco));
}

gboolean
nn_classification_get_top (const GstStructure *s, guint i, const char **label, gint *index, gdouble *score)
{
  if (i >= nn_classification_n_top (s))
    return FALSE;
  const GValue *lab = gst_value_array_get_value (gst_structure_get_value (s, "top-k-labels"), i);
  const GValue *sco = gst_value_array_get_value (gst_structure_get_value (s, "top-k-scores"), i);
  const GValue *idx = gst_structure_get_value (s, "top-k-indices");
  if (label)
    *label = G_VALUE_HOLDS_STRING (lab) ? g_value_get_string (lab) : NULL;
  if (score)
    *score = G_VALUE_HOLDS_DOUBLE (sco) ? g_value_get_double (sco) : 0.0;
  if (index) {
    const GValue *v = idx && GST_VALUE_HOLDS_ARRAY (idx) && i < gst_value_array_get_size (idx) ?
                      gst_value_array_get_value (idx, i) : NULL;
    *index = v && G_VALUE_HOLDS_INT (v) ? g_value_get_int (v) : -1;
  }
  return TRUE;
}
