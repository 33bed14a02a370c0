/* The work of nnpublish apart from the element: one frame's JSON object,
 * the stream's name found upstream, and files shared by the elements that
 * name the same one. */
#pragma once

#include <stdio.h>

#include <gst/gst.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* One frame's object (docs/publish.md), written with json-glib from a tree
 * that is built once and updated in place, so a frame allocates nothing
 * once the pools hold as many results and top-k entries as it has (json-glib
 * itself may, for a string that changed). */
typedef struct _NnFrameJson NnFrameJson;

NnFrameJson *nn_frame_json_new (void) G_GNUC_WARN_UNUSED_RESULT;
void         nn_frame_json_free (NnFrameJson *j);
/* Appends the object to `out`: stream, frame, the buffer's PTS,
 * running_time (GST_CLOCK_TIME_NONE: null), width and height when
 * width > 0, and a result per "nn-classification" ROI meta of buf. Returns
 * the number of results. */
guint        nn_frame_json_write (NnFrameJson *j, GString *out, GstBuffer *buf, const char *stream, guint64 frame,
                                  GstClockTime running_time, gint width, gint height);

/* Walks upstream from `sinkpad`, into and out of bins through their ghost
 * pads and through the active input of a concat or input-selector, to the
 * first element with a non-empty uri, location or device property, and
 * returns its value; else the name of the last element reached (the
 * source); NULL when the pad is not linked. (transfer full) */
char *nn_upstream_stream_name (GstPad *sinkpad);

/* The elements of a process that name the same file (or "-", standard
 * output) share one open file and write one whole line at a time: one
 * results file for many streams, created or truncated by the first element
 * to open it, never two writers at their own offsets over each other's
 * lines. Paths are compared made absolute, without "." and "..". */
typedef struct _NnSharedFile NnSharedFile;

/* NULL with errno set when the file cannot be opened. */
NnSharedFile *nn_shared_file_open (const char *location);
void          nn_shared_file_close (NnSharedFile *sf);
/* Writes and flushes line[0..len) under the file's lock; FALSE with errno
 * set when that failed. */
gboolean      nn_shared_file_write (NnSharedFile *sf, const char *line, gsize len);

G_END_DECLS
