/* What a training run carries from one epoch to the next, shared by the
 * trainer (train.c), the schedules (schedule.c) and the checkpoints
 * (checkpoint.c). */
#pragma once
#include "nn-private.h"

/* A schedule in a run: the configuration, the optimiser's lr it starts
 * from, and what a plateau schedule has learned from the losses. */
typedef struct {
  NnScheduleConfig c;
  double base;          /* the optimiser's configured lr */
  double lr;            /* plateau: the lr now (others compute theirs) */
  double best;          /* plateau: the best monitored loss (INFINITY before any) */
  int    bad_epochs;    /* plateau: epochs in a row without improvement */
} NnSchedule;

void   nn_schedule_start (NnSchedule *s, const NnScheduleConfig *c, double base);
/* The lr of a step (0-based, counted over the whole run). */
double nn_schedule_step_lr (const NnSchedule *s, int64_t step, int64_t steps_per_epoch, int epochs);
/* After an epoch: a plateau schedule sees its monitored loss; TRUE when it
 * lowered the lr. */
gboolean nn_schedule_epoch_end (NnSchedule *s, double loss);

/* The state of a run between two epochs: with the data and the
 * configuration, everything the next epoch depends on. */
typedef struct {
  int          epoch;        /* epochs finished */
  gboolean     stopped;      /* early stopping (or the callback) ended the run */
  NnParam     *params;       /* the model's (transfer none) */
  int          n_params;
  NnOptimizer *opt;
  GRand       *rng;          /* shuffles and augmentation */
  GRand       *model_rng;    /* dropout: the model's own (transfer none) */
  int64_t     *order;        /* (n) the sample order, shuffled again each epoch from the last */
  int64_t      n;
  double       best;         /* the best validation loss (INFINITY before any) */
  int          since_best;   /* epochs since it */
  float      **best_params;  /* (n_params) early stopping's snapshot of the best epoch, NULL until taken */
  NnSchedule   sched;
  GArray      *history;      /* NnTrainProgress of each finished epoch (transfer none, nullable) */
} NnTrainState;

/* Writes the state after an epoch to c->checkpoint (temporary file + rename). */
gboolean nn_checkpoint_write (const NnTrainState *s, const NnTrainConfig *c, NnModel *m, int64_t steps_per_epoch,
                              GError **error);
/* Reads c->resume into a state set up for a new run of the same model and
 * configuration (weights, optimiser, generators, order, counters, history),
 * refusing a checkpoint of another model, optimiser, batch size, seed or
 * dataset size. */
gboolean nn_checkpoint_read (NnTrainState *s, const NnTrainConfig *c, NnModel *m, GError **error);

/* The model's generator (dropout draws from it). */
GRand *nn_model_rng (NnModel *m);

/* Optimiser state, for checkpoints: the steps taken, and per parameter its
 * first and second state arrays (NULL where the rule keeps none). */
int64_t nn_optimizer_get_t (const NnOptimizer *o);
void    nn_optimizer_set_t (NnOptimizer *o, int64_t t);
NnOptimKind nn_optimizer_kind (const NnOptimizer *o);
float  *nn_optimizer_state (NnOptimizer *o, int param, int which);
