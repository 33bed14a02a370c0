#!/usr/bin/python3
"""The unigram baseline for models/char-lstm: the entropy of the training
text's character distribution, and the cross-entropy of predicting every
next-character target of the validation windows (T = 64, stride 32, as
text:FILE makes them) with those frequencies, in nats per character, beside
the per-character figure of `nn eval` (its cce sums the T steps of a window).

  char-lstm-unigram.py SPEC.json TRAIN.txt VAL.txt
"""
import collections
import json
import math
import sys

spec = json.load(open(sys.argv[1]))
vocab, T = spec["vocab"], spec["input"][0]
fallback = " " if " " in vocab else vocab[0]
read = lambda p: [c if c in vocab else fallback for c in open(p, encoding="utf-8").read()]
train, val = read(sys.argv[2]), read(sys.argv[3])
count = collections.Counter(train)
# add-one smoothing: a character the training text lacks still has a cost
q = {c: (count[c] + 1) / (len(train) + len(vocab)) for c in vocab}
entropy = -sum(n / len(train) * math.log(n / len(train)) for n in count.values())
stride = max(T // 2, 1)
targets = [val[s + 1:s + T + 1] for s in range(0, len(val) - T, stride)]
xent = -sum(math.log(q[c]) for w in targets for c in w) / sum(len(w) for w in targets)
print("unigram entropy of the training text: %.4f nats/char" % entropy)
print("unigram cross-entropy on the %d validation windows: %.4f nats/char (x %d = %.2f per window)"
      % (len(targets), xent, T, xent * T))
