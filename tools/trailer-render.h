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
