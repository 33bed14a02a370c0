/* Procedural hand gestures: no hand-gesture data set can be fetched here, so
 * the gesture models are trained and tested on renders. A hand is a union of
 * capsules (fingers, thumb, forearm) and a rounded box (palm), with outlines
 * from the distance to each part's edge; the scene varies skin tone, size,
 * position, rotation, finger lengths and spread, handedness, lighting, blur,
 * sensor noise, and cluttered backgrounds (textures, shapes, skin-coloured
 * blobs and bare forearms), so skin colour alone tells nothing.
 *
 * Everything is drawn from a caller's GRand: the same seed gives the same
 * pixels. */
#pragma once
#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  NN_GESTURE_FIST,
  NN_GESTURE_POINT,
  NN_GESTURE_PEACE,
  NN_GESTURE_THREE,
  NN_GESTURE_PALM,
  NN_GESTURE_THUMBS_UP,
  NN_GESTURE_NONE,        /* no hand */
  NN_GESTURE_HORNS,       /* index and little finger: not in the shipped models, for enrolment */
  NN_GESTURE_N
} NnGesture;

/* "fist", "point", "peace", "three", "palm", "thumbs-up", "none", "horns" */
const char *nn_gesture_name (NnGesture g);
/* -1 if unknown */
int         nn_gesture_from_name (const char *name);

/* A hand: everything but the pixels it lands on. */
typedef struct {
  NnGesture gesture;
  double cx, cy;        /* centre of the hand's extent, pixels */
  double scale;         /* pixels per hand unit (wrist to middle fingertip is about 0.85) */
  double angle;         /* radians, counter-clockwise */
  gboolean mirror;      /* left hand */
  double length[5];     /* thumb..little finger length factors */
  double spread;        /* finger fan factor */
  double skin[3];       /* RGB 0..255 */
  double forearm;       /* forearm length in hand units, 0 = none */
} NnHand;

#define NN_SCENE_MAX_SHAPES 10

typedef struct {
  int kind;             /* 0 rect, 1 ellipse, 2 bar (capsule) */
  double x0, y0, x1, y1, r;
  double rgb[3];
} NnShapeSpec;

/* Everything but the hand: background, clutter, light, camera. */
typedef struct {
  int width, height;
  int texture;          /* 0 gradient, 1 stripes, 2 checker, 3 blotches */
  double c1[3], c2[3];
  double freq, phase, dir;
  double blotch[16];    /* 4x4 grid for blotches */
  int n_shapes;
  NnShapeSpec shapes[NN_SCENE_MAX_SHAPES];
  double gain, light, light_dir, cast[3];
  int blur;             /* 0 none, 1 light, 2 stronger */
  double noise;         /* sensor noise sigma, 0..255 */
} NnScene;

typedef struct {
  double x, y, w, h;    /* pixels; w = h = 0 when there is no hand */
} NnGestureBox;

/* A random scene of w x h; `clutter_scale` is the size of the largest clutter
 * shapes in pixels (hands should be larger than blobs that mimic them). */
void nn_scene_random (NnScene *s, int width, int height, double clutter_scale, GRand *rng);

/* A random hand showing `g`, its extent centred at (cx, cy), height about
 * `height` pixels for an open palm, rotated by up to max_angle radians. */
void nn_hand_random (NnHand *h, NnGesture g, double cx, double cy, double height, double max_angle, GRand *rng);

/* Packed RGB24 (width * height * 3); `mask` (optional, width * height) gets
 * the hand's coverage 0..255 (forearm excluded) and `box` (optional) the
 * bounding box of the covered pixels. `hand` may be NULL (class none).
 * The sensor noise is drawn from rng. */
void nn_gesture_draw (const NnScene *s, const NnHand *hand, GRand *rng, guint8 *rgb, guint8 *mask,
                      NnGestureBox *box);

/* Write packed RGB24 as a PNG (libavcodec's encoder); with `alpha` (width *
 * height, or NULL) an RGBA PNG whose alpha is that plane: a foreground's
 * coverage, as matting and compositing data store it. */
gboolean nn_write_png (const char *path, const guint8 *rgb, const guint8 *alpha, int width, int height,
                       GError **error);

/* A webcam-like clip (what nn-gesture-render video writes): one background,
 * one person, the gestures seq[0..n_seq) held `per` frames each, the hand
 * drifting a little (in the centre square when `centre`, anywhere otherwise).
 * frames: per * n_seq packed RGB24 frames; boxes (optional): the hand's box in
 * each. The same seed gives the same pixels, so tests can compare a file
 * with the frames it was made from. */
void nn_gesture_video_render (const NnGesture *seq, int n_seq, int per, int width, int height, int fps,
                              gboolean centre, guint32 seed, guint8 *frames, NnGestureBox *boxes);

/* ---- style 2 (gesture-style2.c) ---------------------------------------------
 *
 * A second renderer written apart from the first, so that a model trained on
 * one can be tested on the other: the hand is a skeleton of tapered
 * phalanges on a polygonal palm, lit by a directional light (cylinder and
 * dome normals, cast shadows), with or without an outline; twelve skin
 * tones, sleeves, nails, palm width and finger thickness vary; backgrounds
 * are fractal noise, wood, bricks, a wall and floor, fabric or out-of-focus
 * lights under polygons, rings, strokes, skin-coloured blobs and bare arms;
 * the camera has a colour temperature, exposure, gamma, vignetting, Gaussian
 * and motion blur, and signal-dependent noise with a colour share. What makes
 * a gesture is kept: which fingers are extended (thumbs-up: a fist from the
 * side with the thumb up). */

#define NN_SCENE2_MAX_CLUTTER 14

typedef struct {
  int kind;             /* 0 polygon, 1 ellipse, 2 ring, 3 stroke, 4 skin blob, 5 bare arm in a sleeve */
  int n;                /* polygon vertices */
  double p[12];         /* polygon: x, y pairs; ellipse, ring, blob: cx, cy, rx, ry, angle; stroke, arm: x0, y0, x1, y1, width */
  double rgb[3], rgb2[3];
} NnClutter2;

typedef struct {
  int width, height;
  int texture;          /* 0 fractal noise, 1 wood, 2 bricks, 3 wall and floor, 4 fabric, 5 out-of-focus lights */
  guint32 noise_seed;
  double c1[3], c2[3], c3[3];
  double freq, angle, split;
  int n_clutter;
  NnClutter2 clutter[NN_SCENE2_MAX_CLUTTER];
  double light[3];      /* unit vector towards the light: x right, y down, z towards the camera */
  double ambient;
  double temperature[3]; /* white balance multipliers of the light's colour temperature */
  double exposure, gamma, vignette;
  double blur;          /* Gaussian sigma, pixels */
  double motion, motion_dir; /* motion blur length (pixels) and direction */
  double shot, read, chroma; /* noise: signal-dependent and constant sigma (0..255), share per channel */
} NnScene2;

typedef struct {
  NnGesture gesture;
  double cx, cy, scale, angle;
  gboolean mirror;
  double palm_w, palm_h;   /* palm proportions */
  double len[5], thick;    /* thumb..little length factors; finger thickness */
  double fan;              /* spread of extended fingers */
  double curl[5];          /* bend of extended fingers, radians per joint */
  double skin[3];
  double outline;          /* outline width in pixels, 0 = none */
  double outline_rgb[3];
  gboolean sleeve;
  double sleeve_rgb[3], sleeve_rgb2[3];
  int sleeve_pattern;      /* 0 plain, 1 stripes, 2 checks */
  double forearm;          /* bare skin between wrist and cuff, hand units */
  double nails;            /* nail lightening 0..1, 0 = none drawn */
} NnHand2;

/* As nn_scene_random and nn_hand_random, for style 2. */
void nn_scene2_random (NnScene2 *s, int width, int height, double clutter_scale, GRand *rng);
void nn_hand2_random (NnHand2 *h, NnGesture g, double cx, double cy, double height, double max_angle, GRand *rng);
/* A hard negative for `none`: a bare arm (sleeve and forearm, no hand) or a
 * skin blob the size of `h`, in h's skin, where the hand would have been. */
void nn_scene2_add_decoy (NnScene2 *s, const NnHand2 *h, GRand *rng);
/* As nn_gesture_draw: the mask is the hand's coverage (forearm and sleeve
 * excluded), box the bounding box of mask >= 128. */
void nn_gesture2_draw (const NnScene2 *s, const NnHand2 *hand, GRand *rng, guint8 *rgb, guint8 *mask,
                       NnGestureBox *box);

/* nn_gesture_video_render in the given style (1 or 2). */
void nn_gesture_video_render_style (int style, const NnGesture *seq, int n_seq, int per, int width, int height,
                                    int fps, gboolean centre, guint32 seed, guint8 *frames, NnGestureBox *boxes);

G_END_DECLS
