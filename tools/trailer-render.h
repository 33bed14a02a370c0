/* Synthetic movie "trailers" whose genre lives only in their dynamics: cuts,
 * flashes, shake, pans, fades and motion speed. Every genre draws each frame
 * from the same distribution (a random wrapped texture with a few objects,
 * seen at a uniform random camera offset and a uniform brightness), so a
 * single frame says nothing about the genre; only how frames follow each
 * other does. Shared by nn-trailer-gen and the pipeline tests. */
#pragma once
#include <glib.h>

/* In the order class folders sort, so folder indices are these. */
typedef enum {
  NN_GENRE_ACTION,    /* cuts every 2-4 frames, fast objects, camera shake */
  NN_GENRE_DETECTIVE, /* shots of 8-14 frames, each a slow steady pan */
  NN_GENRE_DRAMA,     /* long still shots, slow objects, slow fades in and out */
  NN_GENRE_HORROR,    /* long still shots, near-frozen objects, one-frame flashes */
  NN_N_GENRES
} NnGenre;

const char *nn_genre_name (int genre);
/* -1 when `name` is no genre. */
int nn_genre_from_name (const char *name);

/* n frames of size x size gray bytes (n * size * size) of one trailer;
 * the same (genre, seed) always renders the same frames. */
void nn_trailer_render (int genre, guint64 seed, int n, int size, guint8 *frames);

/* Render and encode as H.264 MP4 at `fps`, limited range (as encoders write);
 * gst_init() must have been called. */
gboolean nn_trailer_write (const char *path, int genre, guint64 seed, int n, int size, int fps, GError **error);

/* The same in the given range (NnVideoRange of video-writer.h). */
gboolean nn_trailer_write_range (const char *path, int genre, guint64 seed, int n, int size, int fps, int range,
                                 GError **error);

/* ---- style 2 (trailer-style2.c) ---------------------------------------------
 *
 * A second renderer written apart from the first: colour scenes (sky with
 * sun or moon and clouds, hills, textured ground, trees, houses, moving cars,
 * people and birds) in a world wider than the frame that the camera moves
 * over, a colour grade, film grain and vignetting. The genres keep what
 * defines them: action cuts every 2-5 frames with fast objects and a shaking
 * camera; detective shots of 8-16 frames, each a steady pan; drama long
 * still shots with slow fades to black of random depth; horror long still
 * shots with one-frame flashes that wash the frame out, brighten it or black
 * it out. Every genre draws its scenes, grades and shot exposures from the
 * same distributions. */

typedef enum {
  NN_FLASH_NONE,
  NN_FLASH_WASHOUT, /* mixed towards white: brighter, less contrast */
  NN_FLASH_BRIGHT,  /* exposure up */
  NN_FLASH_DARK,    /* exposure down */
} NnFlash;

/* What a style-2 frame was made of, for tests. */
typedef struct {
  gboolean cut;     /* first frame of a shot */
  NnFlash flash;
  double exposure;  /* shot exposure times fade and flash gain */
  double washout;   /* share of white mixed in, 0..1 */
  double fade;      /* the fade's factor (1 outside drama) */
} NnTrailerFrame;

/* n packed RGB24 frames of size x size (n * size * size * 3); info
 * (optional) gets one entry per frame. The same (genre, seed) always renders
 * the same frames, different from style 1's. */
void nn_trailer_render2 (int genre, guint64 seed, int n, int size, guint8 *rgb, NnTrailerFrame *info);

/* nn_trailer_write_range in style 1 (gray) or 2 (colour). */
gboolean nn_trailer_write_style (const char *path, int style, int genre, guint64 seed, int n, int size, int fps,
                                 int range, GError **error);
