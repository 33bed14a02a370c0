/* Minimal drawing on 8-bit video frames for nnoverlay: filled rectangles,
 * darkening, and text in an embedded 5x7 font scaled by whole pixels.
 * RGB formats get the colour; YUV and gray formats get its luma (planar
 * chroma is left alone). Everything is clipped to the frame. */
#pragma once

#include <gst/video/video.h>

G_BEGIN_DECLS

typedef struct {
  guint8 r, g, b;
} NnColor;

/* A glyph cell is NN_FONT_CELL_W x NN_FONT_CELL_H font pixels, spacing included. */
#define NN_FONT_CELL_W 6
#define NN_FONT_CELL_H 8

gboolean nn_draw_supports (const GstVideoInfo *info);
void     nn_draw_rect (GstVideoFrame *f, int x, int y, int w, int h, NnColor c);
/* Halve the brightness, so text stays readable on any background. */
void     nn_draw_shade (GstVideoFrame *f, int x, int y, int w, int h);
/* Draws at most max_chars characters (all if < 0); returns the width drawn in pixels. */
int      nn_draw_text (GstVideoFrame *f, int x, int y, int scale, const char *text, int max_chars, NnColor c);
int      nn_text_width (const char *text, int scale, int max_chars);

G_END_DECLS
