/* Every element through 50 state cycles (NULL -> PLAYING, a few frames to
 * EOS, -> NULL) in one process: each cycle ends cleanly, and memory stays
 * flat (issue 14 point 5). The resident size is compared after warm-up
 * cycles (plugin load, type registration, first allocations) and at the end;
 * under AddressSanitizer, whose quarantine grows the resident size by design,
 * LeakSanitizer checks for leaks instead at exit. */
#include <string.h>
#include <unistd.h>

#include <gst/check/gstcheck.h>

#include "nn-test-util.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

#define CYCLES 50
#define WARMUP 10
#define MAX_GROWTH_KB 8192

#define SPEC_GAN \
  "{\"input\":[6,1,1],\"gan\":{\"latent\":4,\"classes\":[\"left\",\"right\"]}," \
  "\"layers\":[{\"type\":\"conv2d_transpose\",\"filters\":1,\"kernel\":8,\"activation\":\"tanh\"}]}"
#define SPEC_CLIP \
  "{\"input\":[2,1,8,8],\"labels\":[\"a\",\"b\"],\"layers\":[{\"type\":\"convlstm2d\",\"filters\":2,\"kernel\":3}," \
  "{\"type\":\"global_avgpool\"},{\"type\":\"dense\",\"units\":2},{\"type\":\"softmax\"}]}"

static glong
resident_kb (void)
{
  g_autofree char *statm = NULL;
  fail_unless (g_file_get_contents ("/proc/self/statm", &statm, NULL, NULL));
  long size = 0, resident = 0;
  fail_unless (sscanf (statm, "%ld %ld", &size, &resident) == 2);
  return resident * (sysconf (_SC_PAGESIZE) / 1024);
}

/* One cycle: PLAYING until EOS (an error fails the test), then NULL. */
static void
cycle (GstElement *pipe, const char *desc, int i)
{
  fail_unless (gst_element_set_state (pipe, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE, "%s: cycle %d", desc,
               i);
  GstBus *bus = gst_element_get_bus (pipe);
  GstMessage *msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "%s: cycle %d: no EOS", desc, i);
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *err = NULL;
    gst_message_parse_error (msg, &err, NULL);
    fail ("%s: cycle %d: %s", desc, i, err->message);
  }
  gst_message_unref (msg);
  gst_bus_set_flushing (bus, TRUE);
  gst_bus_set_flushing (bus, FALSE);
  gst_object_unref (bus);
  fail_unless_equals_int (gst_element_set_state (pipe, GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);
}

GST_START_TEST (test_state_cycles)
{
  g_autofree char *image = nn_test_write_temp ("cycles-image-XXXXXX.json", NN_TEST_SPEC_GRAY, -1);
  g_autofree char *clip = nn_test_write_temp ("cycles-clip-XXXXXX.json", SPEC_CLIP, -1);
  g_autofree char *gan = nn_test_write_temp ("cycles-gan-XXXXXX.json", SPEC_GAN, -1);
  g_autofree char *dir = g_dir_make_tmp ("cycles-capture-XXXXXX", NULL);
  const char *caps = "video/x-raw,format=GRAY8,width=8,height=8,framerate=30/1";
  char *descs[] = {
    g_strdup_printf ("videotestsrc num-buffers=3 ! %s ! nnclassify model=\"%s\" ! nnoverlay ! fakesink", caps,
                     image),
    g_strdup_printf ("videotestsrc num-buffers=3 ! %s ! nnvideoclassify model=\"%s\" ! fakesink", caps, clip),
    g_strdup_printf ("nngansrc model=\"%s\" num-buffers=2 ! video/x-raw,width=8,height=8 ! fakesink", gan),
    g_strdup_printf ("videotestsrc num-buffers=1 ! %s ! nncapture location=\"%s\" label=a count=1 ! fakesink", caps,
                     dir),
    /* its MQTT thread started and stopped each cycle (no broker on port 1:
     * the messages queue and are dropped at stop) */
    g_strdup_printf ("videotestsrc num-buffers=3 ! %s ! nnclassify model=\"%s\" ! nnpublish location=/dev/null "
                     "mqtt-host=127.0.0.1 mqtt-port=1 flush-timeout=0 ! fakesink", caps, image),
  };
  GstElement *pipes[G_N_ELEMENTS (descs)];
  for (guint p = 0; p < G_N_ELEMENTS (descs); p++) {
    GError *err = NULL;
    pipes[p] = gst_parse_launch (descs[p], &err);
    fail_unless (pipes[p] != NULL && err == NULL, "%s: %s", descs[p], err ? err->message : "");
  }
  glong warm = 0;
  for (int i = 0; i < CYCLES; i++) {
    for (guint p = 0; p < G_N_ELEMENTS (descs); p++)
      cycle (pipes[p], descs[p], i);
    if (i == WARMUP - 1)
      warm = resident_kb ();
  }
  glong end = resident_kb ();
  g_print ("resident after %d cycles %ld kB, after %d %ld kB\n", WARMUP, warm, CYCLES, end);
#ifndef UNDER_ASAN
  fail_unless (end - warm < MAX_GROWTH_KB, "resident grew %ld kB over %d cycles", end - warm, CYCLES - WARMUP);
#endif
  for (guint p = 0; p < G_N_ELEMENTS (descs); p++) {
    gst_object_unref (pipes[p]);
    g_free (descs[p]);
  }
  g_autofree char *a = g_build_filename (dir, "a", NULL);
  g_autoptr (GDir) d = g_dir_open (a, 0, NULL);
  const char *n;
  while (d && (n = g_dir_read_name (d))) {
    g_autofree char *f = g_build_filename (a, n, NULL);
    g_unlink (f);
  }
  g_rmdir (a);
  g_rmdir (dir);
  g_unlink (image);
  g_unlink (clip);
  g_unlink (gan);
}
GST_END_TEST;

static Suite *
cycles_suite (void)
{
  Suite *s = suite_create ("cycles");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 240);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_state_cycles);
  return s;
}

GST_CHECK_MAIN (cycles);
