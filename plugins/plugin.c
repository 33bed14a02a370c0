/* The "nn" plugin: neural-network elements built on libnn. */
#include "gstnnclassify.h"
#include "gstnnoverlay.h"
#include "gstnncapture.h"
#include "gstnntrain.h"
#include "gstnngansrc.h"
#include "gstnnvideoclassify.h"
#include "gstnntextclassify.h"
#include "gstnnpublish.h"

static gboolean
plugin_init (GstPlugin *plugin)
{
  gboolean ret = FALSE;
  ret |= GST_ELEMENT_REGISTER (nnclassify, plugin);
  ret |= GST_ELEMENT_REGISTER (nnoverlay, plugin);
  ret |= GST_ELEMENT_REGISTER (nncapture, plugin);
  ret |= GST_ELEMENT_REGISTER (nngansrc, plugin);
  ret |= GST_ELEMENT_REGISTER (nnvideoclassify, plugin);
  ret |= GST_ELEMENT_REGISTER (nntextclassify, plugin);
  ret |= GST_ELEMENT_REGISTER (nnpublish, plugin);
  ret |= GST_ELEMENT_REGISTER (nntrain, plugin);
  return ret;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, nn,
                   "Neural-network inference on video with libnn", plugin_init, VERSION,
                   "LGPL", PACKAGE, "gst-nn project")
