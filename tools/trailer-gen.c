/* nn-trailer-gen: synthetic genre trailers for video classification.
 *
 *   nn-trailer-gen [--per-genre N] [--frames N] [--size S] [--fps F] [--seed S] DIR
 *       writes DIR/<genre>/NNN.mp4 for every genre (action, detective, drama, horror)
 *   nn-trailer-gen --genre NAME [--seed S] ... OUT.mp4
 *       writes one trailer
 *   --full-range writes luma 0-255 (labelled so) instead of limited range 16-235
 *   --style 2 renders colour scenes with the second renderer (trailer-render.h)
 *
 * Videos of one seed never repeat those of another seed, so a training set
 * and a held-out set come from two seeds. */
#include "trailer-render.h"
#include "video-writer.h"
#include <gst/gst.h>
#include <glib/gstdio.h>
#include <stdio.h>

typedef struct {
  int per_genre, frames, size, fps, style;
  gint64 seed;
  char *genre;
  gboolean full_range;
} Args;

/* Per-video seed: distinct for every (seed, index) pair. */
static guint64
video_seed (guint64 seed, int index)
{
  return seed * 1000003ULL + (guint64) index;
}

static int
range (const Args *a)
{
  return a->full_range ? NN_VIDEO_FULL_RANGE : NN_VIDEO_LIMITED_RANGE;
}

static gboolean
write_set (const Args *a, const char *dir, GError **error)
{
  for (int g = 0; g < NN_N_GENRES; g++) {
    g_autofree char *sub = g_build_filename (dir, nn_genre_name (g), NULL);
    if (g_mkdir_with_parents (sub, 0755) != 0) {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno), "%s: cannot create", sub);
      return FALSE;
    }
    for (int i = 0; i < a->per_genre; i++) {
      g_autofree char *name = g_strdup_printf ("%03d.mp4", i);
      g_autofree char *path = g_build_filename (sub, name, NULL);
      if (!nn_trailer_write_style (path, a->style, g, video_seed (a->seed, i), a->frames, a->size, a->fps, range (a),
                                   error))
        return FALSE;
    }
    printf ("%s: %d videos\n", sub, a->per_genre);
  }
  return TRUE;
}

int
main (int argc, char **argv)
{
  Args a = { .per_genre = 60, .frames = 48, .size = 32, .fps = 12, .seed = 1, .style = 1 };
  GOptionEntry entries[] = {
    { "per-genre", 'n', 0, G_OPTION_ARG_INT, &a.per_genre, "Videos per genre (default 60)", "N" },
    { "frames", 'f', 0, G_OPTION_ARG_INT, &a.frames, "Frames per video (default 48)", "N" },
    { "size", 's', 0, G_OPTION_ARG_INT, &a.size, "Frame width and height (default 32)", "PX" },
    { "fps", 0, 0, G_OPTION_ARG_INT, &a.fps, "Frame rate written in the file (default 12)", "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &a.seed, "Random seed (default 1)", "N" },
    { "style", 0, 0, G_OPTION_ARG_INT, &a.style, "Renderer: 1 (gray, default) or 2 (colour scenes)", "N" },
    { "genre", 'g', 0, G_OPTION_ARG_STRING, &a.genre, "Write one trailer of this genre to OUT.mp4", "NAME" },
    { "full-range", 0, 0, G_OPTION_ARG_NONE, &a.full_range,
      "Write full-range luma (0-255, labelled so) instead of limited range (16-235, as encoders write)", NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("DIR | --genre NAME OUT.mp4");
  g_option_context_set_summary (ctx, "Writes synthetic trailers (H.264 MP4: gray, or colour with --style 2) whose genre shows only in "
                                     "their dynamics: action, detective, drama, horror.");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  g_autoptr (GError) err = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &err) || argc != 2) {
    fprintf (stderr, "nn-trailer-gen: %s\n", err ? err->message : "expected one DIR or OUT.mp4");
    return 2;
  }
  if (a.per_genre < 1 || a.frames < 1 || a.size < 8 || a.size % 2 || a.fps < 1 || (a.style != 1 && a.style != 2)) {
    fprintf (stderr, "nn-trailer-gen: need --per-genre >= 1, --frames >= 1, an even --size >= 8, --fps >= 1, "
                     "--style 1 or 2\n");
    return 2;
  }
  gst_init (&argc, &argv);
  gboolean ok;
  if (a.genre) {
    int g = nn_genre_from_name (a.genre);
    if (g < 0) {
      fprintf (stderr, "nn-trailer-gen: unknown genre \"%s\" (action, detective, drama, horror)\n", a.genre);
      return 2;
    }
    ok = nn_trailer_write_style (argv[1], a.style, g, video_seed (a.seed, 0), a.frames, a.size, a.fps, range (&a),
                                 &err);
  } else {
    ok = write_set (&a, argv[1], &err);
  }
  if (!ok) {
    fprintf (stderr, "nn-trailer-gen: %s\n", err->message);
    return 1;
  }
  g_free (a.genre);
  return 0;
}
