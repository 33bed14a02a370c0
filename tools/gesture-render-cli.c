/* nn-gesture-render: procedural hand-gesture data for the gesture models.
 *
 *   nn-gesture-render crops DIR [--size 48] [--n 900] [--seed 1]      classifier data: hand centred
 *   crops and fcn take --alpha: RGBA PNGs, the alpha the hand's coverage (for --augment background), and
 *   --no-scene: the same hands over mid-gray, to measure what the scenes add, and --silhouette: the
 *   hands' coverage alone, white on black
 *   nn-gesture-render fcn DIR [--size 32] [--n 2500] [--seed 1]       detector data: is the centre on a hand?
 *   nn-gesture-render video OUT.mp4 --sequence fist,palm,... [--hold 2] [--fps 15] [--width 320] [--height 240]
 *                           [--layout centre|anywhere] [--truth FILE] [--seed 1] [--full-range]
 *   nn-gesture-render detect-eval --model M [--n 300] [--width 320] [--height 240] [--seed 1]
 *   crops, fcn, video and detect-eval take --style 1|2 (default 1): the renderer (see gesture-render.h)
 *   nn-gesture-render reshape IN.safetensors --width W --height H -o OUT.safetensors
 *
 * crops and fcn write folder: datasets (DIR/<class>/NNNNN.png). detect-eval
 * renders frames with a hand anywhere (or none), runs them through nnclassify
 * mode=map (the plugin must be on GST_PLUGIN_PATH) and reports the box IoU and
 * the label accuracy. reshape gives a fully convolutional model trained on
 * crops the input size of whole frames (same weights, new spec input). */
#include "gesture-render.h"
#include "video-writer.h"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <gst/video/video.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <nn/nn.h>
#include <stdio.h>
#include <string.h>

#define SUPERSAMPLE 2

static int n_per_class = 0, size = 0, fps = 15, width = 320, height = 240, seed = 1, style = 1;
static double hold = 2.0;
static gboolean verbose = FALSE, full_range = FALSE, alpha = FALSE, no_scene = FALSE, silhouette = FALSE;
static double object_threshold = 0.9;
static int min_cells = 1;
static char *classes_opt = NULL, *sequence = NULL, *layout = NULL, *truth = NULL, *model = NULL, *output = NULL;

static GOptionEntry entries[] = {
  { "n", 'n', 0, G_OPTION_ARG_INT, &n_per_class, "Images per class (crops, fcn) or frames (detect-eval)", "N" },
  { "size", 's', 0, G_OPTION_ARG_INT, &size, "Image side (crops 48, fcn 32)", "PX" },
  { "seed", 0, 0, G_OPTION_ARG_INT, &seed, "Random seed (default 1)", "N" },
  { "style", 0, 0, G_OPTION_ARG_INT, &style, "Renderer: 1 (default) or 2, drawn independently of 1", "N" },
  { "alpha", 0, 0, G_OPTION_ARG_NONE, &alpha,
    "crops, fcn: RGBA PNGs whose alpha is the hand's coverage (for --augment background=P); the colours are unchanged",
    NULL },
  { "no-scene", 0, 0, G_OPTION_ARG_NONE, &no_scene,
    "crops, fcn: the hand alone over mid-gray (the same hands as without; scene, forearm and sleeve left out)", NULL },
  { "silhouette", 0, 0, G_OPTION_ARG_NONE, &silhouette,
    "crops, fcn: the hand's coverage alone, white on black (the shape without colours, shading or scene)", NULL },
  { "classes", 'c', 0, G_OPTION_ARG_STRING, &classes_opt, "Classes to render (default the shipped seven)", "LIST" },
  { "sequence", 0, 0, G_OPTION_ARG_STRING, &sequence, "video: gestures in order", "LIST" },
  { "hold", 0, 0, G_OPTION_ARG_DOUBLE, &hold, "video: seconds per gesture (default 2)", "S" },
  { "fps", 0, 0, G_OPTION_ARG_INT, &fps, "video: frames per second (default 15)", "N" },
  { "width", 0, 0, G_OPTION_ARG_INT, &width, "video, detect-eval: frame width (default 320)", "PX" },
  { "height", 0, 0, G_OPTION_ARG_INT, &height, "video, detect-eval: frame height (default 240)", "PX" },
  { "layout", 0, 0, G_OPTION_ARG_STRING, &layout, "video: centre (hand in the centre square) or anywhere", "L" },
  { "truth", 0, 0, G_OPTION_ARG_FILENAME, &truth, "video: write frame,label,x,y,w,h per frame", "FILE" },
  { "full-range", 0, 0, G_OPTION_ARG_NONE, &full_range,
    "video: full-range luma (0-255, labelled so) instead of limited range (16-235, as encoders write)", NULL },
  { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model, "detect-eval: the fully convolutional model", "FILE" },
  { "object-threshold", 0, 0, G_OPTION_ARG_DOUBLE, &object_threshold, "detect-eval: nnclassify's object-threshold (0.9)", "P" },
  { "min-cells", 0, 0, G_OPTION_ARG_INT, &min_cells, "detect-eval: nnclassify's min-cells", "N" },
  { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "detect-eval: print each frame's truth and prediction", NULL },
  { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "reshape: the model to write", "FILE" },
  { NULL }
};

static const NnGesture shipped[] = {
  NN_GESTURE_FIST, NN_GESTURE_POINT, NN_GESTURE_PEACE, NN_GESTURE_THREE,
  NN_GESTURE_PALM, NN_GESTURE_THUMBS_UP, NN_GESTURE_NONE,
};

static int
fail (const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  fputs ("nn-gesture-render: ", stderr);
  vfprintf (stderr, fmt, ap);
  fputc ('\n', stderr);
  va_end (ap);
  return 1;
}

/* Gestures of a comma list, or the shipped ones. */
static GArray *
parse_list (const char *list)
{
  GArray *a = g_array_new (FALSE, FALSE, sizeof (int));
  if (!list) {
    g_array_append_vals (a, shipped, G_N_ELEMENTS (shipped));
    return a;
  }
  g_auto (GStrv) parts = g_strsplit (list, ",", -1);
  for (char **p = parts; *p; p++) {
    int g = nn_gesture_from_name (g_strstrip (*p));
    if (g < 0) {
      fail ("unknown gesture \"%s\"", *p);
      g_array_free (a, TRUE);
      return NULL;
    }
    g_array_append_val (a, g);
  }
  return a;
}

/* Area average of k x k blocks of `channels` interleaved planes. */
static void
downsample (const guint8 *src, int w, int h, int channels, int k, guint8 *dst)
{
  int ow = w / k, oh = h / k;
  for (int y = 0; y < oh; y++)
    for (int x = 0; x < ow; x++)
      for (int c = 0; c < channels; c++) {
        int sum = 0;
        for (int j = 0; j < k; j++)
          for (int i = 0; i < k; i++)
            sum += src[(((gsize) y * k + j) * w + x * k + i) * channels + c];
        dst[((gsize) y * ow + x) * channels + c] = (guint8) ((sum + k * k / 2) / (k * k));
      }
}

/* One image of a dataset; with --alpha, the hand's coverage (render size)
 * is downsampled as the colours are and becomes the PNG's alpha. */
static gboolean
save (const char *dir, NnGesture g, int index, const guint8 *hi, const guint8 *mask, int big, guint8 *lo,
      guint8 *lo_alpha)
{
  int side = big / SUPERSAMPLE;
  downsample (hi, big, big, 3, SUPERSAMPLE, lo);
  downsample (mask, big, big, 1, SUPERSAMPLE, lo_alpha);
  for (int i = 0; (no_scene || silhouette) && i < side * side; i++)
    for (int c = 0; c < 3; c++)
      lo[i * 3 + c] = silhouette ? lo_alpha[i]
                                 : (guint8) ((lo[i * 3 + c] * lo_alpha[i] + 128 * (255 - lo_alpha[i]) + 127) / 255);
  g_autofree char *sub = g_build_filename (dir, nn_gesture_name (g), NULL);
  g_autofree char *name = g_strdup_printf ("%05d.png", index);
  g_autofree char *path = g_build_filename (sub, name, NULL);
  g_autoptr (GError) e = NULL;
  if (g_mkdir_with_parents (sub, 0755) != 0 || !nn_write_png (path, lo, alpha ? lo_alpha : NULL, side, side, &e)) {
    fail ("%s: %s", path, e ? e->message : "cannot create the folder");
    return FALSE;
  }
  return TRUE;
}

/* Hard negatives: half of the none images get a bare forearm or a
 * skin-coloured blob the size of a hand. */
static void
add_forearm (NnScene *s, const NnHand *h, GRand *rng)
{
  if (g_rand_boolean (rng) || s->n_shapes >= NN_SCENE_MAX_SHAPES)
    return;
  NnShapeSpec *sh = &s->shapes[s->n_shapes++];
  double a = g_rand_double_range (rng, 0, 2 * G_PI), len = h->scale * g_rand_double_range (rng, 0.3, 0.9);
  sh->kind = g_rand_boolean (rng) ? 2 : 1;
  sh->x0 = h->cx;
  sh->y0 = h->cy;
  sh->x1 = h->cx + cos (a) * len;
  sh->y1 = h->cy + sin (a) * len;
  sh->r = h->scale * g_rand_double_range (rng, 0.1, 0.2);
  memcpy (sh->rgb, h->skin, sizeof sh->rgb);
}

/* One image in either style; style 1 draws from the rng in the same order
 * as before there were two, so its images are unchanged. */
typedef struct {
  NnScene s1;
  NnHand h1;
  NnScene2 s2;
  NnHand2 h2;
} Render;

static void
render_scene (Render *r, int w, int h, double clutter, GRand *rng)
{
  if (style == 2)
    nn_scene2_random (&r->s2, w, h, clutter, rng);
  else
    nn_scene_random (&r->s1, w, h, clutter, rng);
}

static void
render_hand (Render *r, NnGesture g, double cx, double cy, double hh, double max_angle, GRand *rng)
{
  if (style == 2)
    nn_hand2_random (&r->h2, g, cx, cy, hh, max_angle, rng);
  else
    nn_hand_random (&r->h1, g, cx, cy, hh, max_angle, rng);
}

static void
render_decoy (Render *r, GRand *rng)
{
  if (style == 2)
    nn_scene2_add_decoy (&r->s2, &r->h2, rng);
  else
    add_forearm (&r->s1, &r->h1, rng);
}

static void
render_draw (const Render *r, gboolean hand, GRand *rng, guint8 *rgb, guint8 *mask, NnGestureBox *box)
{
  if (style == 2)
    nn_gesture2_draw (&r->s2, hand ? &r->h2 : NULL, rng, rgb, mask, box);
  else
    nn_gesture_draw (&r->s1, hand ? &r->h1 : NULL, rng, rgb, mask, box);
}

/* Classifier crops: the hand's extent centred (a little jitter), 55-85 % of
 * the side for an open palm, rotated up to 25 degrees. */
static int
cmd_crops (const char *dir)
{
  int side = size ? size : 48, n = n_per_class ? n_per_class : 900, big = side * SUPERSAMPLE;
  g_autoptr (GArray) cls = parse_list (classes_opt);
  if (!cls)
    return 2;
  GRand *rng = g_rand_new_with_seed (seed);
  g_autofree guint8 *hi = g_malloc ((gsize) big * big * 3), *lo = g_malloc ((gsize) side * side * 3);
  g_autofree guint8 *mask = g_malloc ((gsize) big * big), *lo_alpha = g_malloc ((gsize) side * side);
  for (int i = 0; i < n; i++)
    for (guint c = 0; c < cls->len; c++) {
      NnGesture g = g_array_index (cls, int, c);
      Render r;
      render_scene (&r, big, big, big * 0.35, rng);
      double j = 0.08 * big;
      render_hand (&r, g, big / 2.0 + g_rand_double_range (rng, -j, j), big / 2.0 + g_rand_double_range (rng, -j, j),
                   g_rand_double_range (rng, 0.55, 0.85) * big, 25 * G_PI / 180, rng);
      if (g == NN_GESTURE_NONE)
        render_decoy (&r, rng);
      render_draw (&r, g != NN_GESTURE_NONE, rng, hi, mask, NULL);
      if (!save (dir, g, i, hi, mask, big, lo, lo_alpha))
        return 1;
    }
  g_rand_free (rng);
  return 0;
}

/* Detector data at the detector's scale (hands 24-36 pixels high): a crop is
 * a gesture when its centre pixel lies on the hand, else none. Half of the
 * none crops have a hand nearby (the edges of the box are learnt there). */
static int
cmd_fcn (const char *dir)
{
  int side = size ? size : 32, n = n_per_class ? n_per_class : 2500, big = side * SUPERSAMPLE;
  g_autoptr (GArray) cls = parse_list (classes_opt);
  if (!cls)
    return 2;
  GRand *rng = g_rand_new_with_seed (seed);
  g_autofree guint8 *hi = g_malloc ((gsize) big * big * 3), *lo = g_malloc ((gsize) side * side * 3);
  g_autofree guint8 *mask = g_malloc ((gsize) big * big), *lo_alpha = g_malloc ((gsize) side * side);
  int count[NN_GESTURE_N] = { 0 };
  int want = n * (int) cls->len, done = 0, hands = 0;
  for (guint c = 0; c < cls->len; c++)
    hands += g_array_index (cls, int, c) != NN_GESTURE_NONE;
  while (done < want) {
    NnGesture g = shipped[g_rand_int_range (rng, 0, G_N_ELEMENTS (shipped) - 1)];
    gboolean near = g_rand_boolean (rng);
    Render rd;
    render_scene (&rd, big, big, 12.0 * SUPERSAMPLE, rng);
    double r = near ? 0.6 * big : 0.25 * big;
    render_hand (&rd, g, big / 2.0 + g_rand_double_range (rng, -r, r), big / 2.0 + g_rand_double_range (rng, -r, r),
                 g_rand_double_range (rng, 24, 36) * SUPERSAMPLE, 25 * G_PI / 180, rng);
    gboolean with_hand = hands == 0 ? FALSE : g_rand_double (rng) < 0.85;
    render_draw (&rd, with_hand, rng, hi, mask, NULL);
    NnGesture label = with_hand && mask[(big / 2) * big + big / 2] >= 128 ? g : NN_GESTURE_NONE;
    gboolean wanted = FALSE;
    for (guint c = 0; c < cls->len; c++)
      wanted |= g_array_index (cls, int, c) == (int) label;
    if (!wanted || count[label] >= n)
      continue;
    if (!save (dir, label, count[label]++, hi, mask, big, lo, lo_alpha))
      return 1;
    done++;
  }
  g_rand_free (rng);
  return 0;
}

/* One camera, one background, one person: the gestures change in place and
 * the hand drifts a little, as in front of a webcam. */
static int
cmd_video (const char *out)
{
  g_autoptr (GArray) seq = parse_list (sequence);
  if (!seq || !sequence)
    return seq ? fail ("video needs --sequence") : 2;
  gboolean centre = !layout || g_str_equal (layout, "centre");
  int per = MAX (1, (int) lround (hold * fps)), n = per * (int) seq->len;
  gsize fsize = (gsize) width * height * 3;
  g_autofree guint8 *frames = g_malloc (fsize * n);
  g_autofree NnGestureBox *boxes = g_new (NnGestureBox, n);
  nn_gesture_video_render_style (style, (const NnGesture *) seq->data, (int) seq->len, per, width, height, fps,
                                 centre, (guint32) seed, frames, boxes);
  if (truth) {
    FILE *tf = fopen (truth, "w");
    if (!tf)
      return fail ("%s: cannot write", truth);
    for (int i = 0; i < n; i++)
      fprintf (tf, "%d,%s,%.0f,%.0f,%.0f,%.0f\n", i, nn_gesture_name (g_array_index (seq, int, i / per)), boxes[i].x,
               boxes[i].y, boxes[i].w, boxes[i].h);
    fclose (tf);
  }
  g_autoptr (GError) e = NULL;
  if (!nn_write_video (out, frames, n, 3, width, height, width, height, fps,
                       full_range ? NN_VIDEO_FULL_RANGE : NN_VIDEO_LIMITED_RANGE, &e))
    return fail ("%s", e->message);
  return 0;
}

static double
iou (const NnGestureBox *a, double x, double y, double w, double h)
{
  double ix = MAX (0.0, MIN (a->x + a->w, x + w) - MAX (a->x, x));
  double iy = MAX (0.0, MIN (a->y + a->h, y + h) - MAX (a->y, y));
  double inter = ix * iy, uni = a->w * a->h + w * h - inter;
  return uni > 0 ? inter / uni : 0.0;
}

static GstElement *
eval_pipeline (GstElement **src, GstElement **sink)
{
  g_autofree char *desc = g_strdup_printf (
    "appsrc name=src format=time caps=video/x-raw,format=RGB,width=%d,height=%d,framerate=%d/1 ! "
    "nnclassify mode=map object-threshold=%g min-cells=%d model=\"%s\" ! appsink name=out sync=false", width,
    height, fps, object_threshold, min_cells, model);
  g_autoptr (GError) e = NULL;
  GstElement *p = gst_parse_launch (desc, &e);
  if (!p) {
    fail ("%s", e->message);
    return NULL;
  }
  *src = gst_bin_get_by_name (GST_BIN (p), "src");
  *sink = gst_bin_get_by_name (GST_BIN (p), "out");
  return p;
}

/* The prediction of one frame: label and box of its nn-classification ROI. */
static gboolean
read_result (GstBuffer *b, char **label, double *x, double *y, double *w, double *h)
{
  gpointer state = NULL;
  GstMeta *m;
  while ((m = gst_buffer_iterate_meta_filtered (b, &state, GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    GstVideoRegionOfInterestMeta *roi = (GstVideoRegionOfInterestMeta *) m;
    GstStructure *s = gst_video_region_of_interest_meta_get_param (roi, "nn-classification");
    if (!s)
      continue;
    *label = g_strdup (gst_structure_get_string (s, "label"));
    *x = roi->x, *y = roi->y, *w = roi->w, *h = roi->h;
    return TRUE;
  }
  return FALSE;
}

static int
cmd_detect_eval (void)
{
  if (!model)
    return fail ("detect-eval needs --model");
  int n = n_per_class ? n_per_class : 300;
  GstElement *src, *sink, *pipe = eval_pipeline (&src, &sink);
  if (!pipe)
    return 1;
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  GRand *rng = g_rand_new_with_seed (seed);
  gsize fsize = (gsize) width * height * 3;
  double sum_iou = 0;
  int hands = 0, right = 0, hit50 = 0, done = 0;
  for (int i = 0; i < n; i++) {
    NnGesture g = shipped[i % G_N_ELEMENTS (shipped)];
    Render rd;
    double hh = g_rand_double_range (rng, 0.25, 0.375) * height, m = 0.3 * hh;
    render_scene (&rd, width, height, 0.12 * height, rng);
    render_hand (&rd, g, g_rand_double_range (rng, m + hh / 2, width - m - hh / 2),
                 g_rand_double_range (rng, m + hh / 2, height - m - hh / 2), hh, 25 * G_PI / 180, rng);
    GstBuffer *b = gst_buffer_new_allocate (NULL, fsize, NULL);
    GstMapInfo map;
    gst_buffer_map (b, &map, GST_MAP_WRITE);
    NnGestureBox box;
    render_draw (&rd, g != NN_GESTURE_NONE, rng, map.data, NULL, &box);
    gst_buffer_unmap (b, &map);
    GST_BUFFER_PTS (b) = gst_util_uint64_scale (i, GST_SECOND, fps);
    gst_app_src_push_buffer (GST_APP_SRC (src), b);
    GstSample *smp = gst_app_sink_pull_sample (GST_APP_SINK (sink));
    if (!smp)
      break;
    g_autofree char *label = NULL;
    double x = 0, y = 0, w = 0, bh = 0;
    gboolean got = read_result (gst_sample_get_buffer (smp), &label, &x, &y, &w, &bh);
    gst_sample_unref (smp);
    done++;
    if (verbose)
      printf ("%3d %-9s %4.0f %4.0f %4.0f %4.0f | %-9s %4.0f %4.0f %4.0f %4.0f\n", i, nn_gesture_name (g), box.x, box.y,
              box.w, box.h, label ? label : "-", x, y, w, bh);
    right += got && g_strcmp0 (label, nn_gesture_name (g)) == 0;
    if (g != NN_GESTURE_NONE) {
      double v = got && g_strcmp0 (label, "none") != 0 ? iou (&box, x, y, w, bh) : 0.0;
      sum_iou += v;
      hit50 += v >= 0.5;
      hands++;
    }
  }
  gst_app_src_end_of_stream (GST_APP_SRC (src));
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (src);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  g_rand_free (rng);
  if (done < n)
    return fail ("the pipeline stopped after %d frames (is the plugin on GST_PLUGIN_PATH?)", done);
  printf ("%d frames %dx%d: label accuracy %.2f %% (%d/%d); hands %d: mean box IoU %.3f, IoU >= 0.5 %.2f %%\n", n,
          width, height, 100.0 * right / n, right, n, hands, hands ? sum_iou / hands : 0.0,
          hands ? 100.0 * hit50 / hands : 0.0);
  return 0;
}

/* The spec of `m` with its input made [C, height, width]. */
static char *
reshaped_spec (NnModel *m, int w, int h)
{
  g_autofree char *json = nn_model_spec_json (m);
  g_autoptr (JsonParser) p = json_parser_new ();
  if (!json_parser_load_from_data (p, json, -1, NULL))
    return NULL;
  JsonObject *o = json_node_get_object (json_parser_get_root (p));
  JsonArray *in = json_object_get_array_member (o, "input");
  if (!in || json_array_get_length (in) != 3)
    return NULL;
  JsonArray *shape = json_array_new ();
  json_array_add_int_element (shape, json_array_get_int_element (in, 0));
  json_array_add_int_element (shape, h);
  json_array_add_int_element (shape, w);
  json_object_set_array_member (o, "input", shape);
  return json_to_string (json_parser_get_root (p), FALSE);
}

static int
cmd_reshape (const char *in)
{
  if (!output)
    return fail ("reshape needs -o OUT.safetensors");
  g_autoptr (GError) e = NULL;
  g_autoptr (NnModel) m = nn_model_load (in, &e);
  if (!m)
    return fail ("%s", e->message);
  g_autofree char *spec = reshaped_spec (m, width, height);
  if (!spec)
    return fail ("%s: the model input is not [C, H, W]", in);
  g_autoptr (NnModel) r = nn_model_new_from_spec (spec, 1, &e);
  if (!r || !nn_model_load_weights (r, in, &e) || !nn_model_save (r, output, &e))
    return fail ("%s", e->message);
  char buf[64];
  printf ("%s: input [%d, %d, %d], output %s\n", output, (int) nn_model_input_shape (r)->dim[0], height, width,
          nn_shape_to_string (nn_model_output_shape (r), buf, sizeof buf));
  return 0;
}

int
main (int argc, char **argv)
{
  g_autoptr (GOptionContext) ctx = g_option_context_new ("crops|fcn DIR | video OUT.mp4 | detect-eval");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  g_autoptr (GError) e = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &e))
    return fail ("%s", e->message), 2;
  if (style != 1 && style != 2)
    return fail ("--style %d: expected 1 or 2", style), 2;
  const char *verb = argc > 1 ? argv[1] : "";
  if (g_str_equal (verb, "detect-eval"))
    return cmd_detect_eval ();
  if (argc < 3)
    return fail ("usage: nn-gesture-render crops|fcn DIR | video OUT.mp4 | detect-eval --model M (see --help)"), 2;
  if (g_str_equal (verb, "crops"))
    return cmd_crops (argv[2]);
  if (g_str_equal (verb, "fcn"))
    return cmd_fcn (argv[2]);
  if (g_str_equal (verb, "video"))
    return cmd_video (argv[2]);
  if (g_str_equal (verb, "reshape"))
    return cmd_reshape (argv[2]);
  return fail ("unknown verb \"%s\"", verb), 2;
}
