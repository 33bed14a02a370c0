/* Labels as names: the one rule for a class name that becomes a folder.
 * Include <nn/nn.h>, not this file.
 *
 * Labels come from applications (nncapture's "label" may change while
 * playing) and from dataset folders of unknown origin; each is joined to a
 * folder path, so a label must be exactly one path component that stays
 * inside that folder and that shows in a terminal as what it is. nncapture
 * refuses any other label, and folder: datasets refuse a class folder named
 * otherwise (docs/security.md). */
#pragma once

/* The longest label in bytes (UTF-8): within every file system's name limit. */
#define NN_LABEL_MAX_BYTES 100

/* TRUE when `label` is a safe name: not empty, valid UTF-8, at most
 * NN_LABEL_MAX_BYTES bytes, no '/' or '\\', no "..", no leading '.', no
 * control character (C0, DEL or C1). Otherwise FALSE with `error`
 * (NN_ERROR_INVALID) quoting the label, escaped, and saying what is wrong;
 * `label` may be NULL (an error). */
NN_API gboolean nn_label_check (const char *label, GError **error);

/* nn_label_check () without the reason. */
NN_API gboolean nn_label_is_safe (const char *label);
