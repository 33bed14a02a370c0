#!/usr/bin/env python3
"""Labelled sentences from Debian's fortunes files, for the textcls: models.

Each quotation of /usr/share/games/fortunes/<name> (entries end at a "%" line)
becomes one "name<TAB>text" line, its whitespace folded to single spaces;
quotations that appear twice are kept once. A seeded shuffle puts every 5th
of each class in the test file (a stratified 80/20 split), so the vocabulary
the model learns comes from the training file alone.

It then prints two baselines on the test file: the majority class of the
training file, and a bag-of-words multinomial naive Bayes (Laplace smoothing)
over the same words as nn's tokenizer (lower-cased runs of letters and digits,
inner apostrophes kept).

  python3 models/fortunes-textcls.py OUTDIR computers politics
"""
import random
import re
import sys
from collections import Counter
from math import log

WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")


def words(text):
    return WORD.findall(text.lower())


def quotations(name):
    with open("/usr/share/games/fortunes/" + name, encoding="utf-8", errors="replace") as f:
        text = f.read()
    for q in re.split(r"^%\s*$", text, flags=re.M):
        q = " ".join(q.split())
        if q:
            yield q


def main():
    out, names = sys.argv[1], sys.argv[2:]
    rng = random.Random(20)
    train, test = [], []
    for name in names:
        qs = list(dict.fromkeys(quotations(name)))
        rng.shuffle(qs)
        for i, q in enumerate(qs):
            (test if i % 5 == 0 else train).append((name, q))
    rng.shuffle(train)
    rng.shuffle(test)
    for fname, rows in (("train.txt", train), ("test.txt", test)):
        with open(out + "/" + fname, "w", encoding="utf-8") as f:
            for label, q in rows:
                f.write(label + "\t" + q + "\n")
    counts = Counter(label for label, _ in train)
    major = counts.most_common(1)[0][0]
    maj_acc = sum(label == major for label, _ in test) / len(test)
    wc = {n: Counter() for n in names}
    for label, q in train:
        wc[label].update(words(q))
    vocab = set().union(*wc.values())
    total = {n: sum(wc[n].values()) for n in names}
    prior = {n: log(counts[n] / len(train)) for n in names}

    def nb(q):
        return max(names, key=lambda n: prior[n] + sum(
            log((wc[n][w] + 1) / (total[n] + len(vocab))) for w in words(q) if w in vocab))

    nb_acc = sum(nb(q) == label for label, q in test) / len(test)
    print("train %d, test %d (%s)" % (len(train), len(test),
                                      ", ".join("%s %d" % (n, counts[n]) for n in names)))
    print("majority class (%s): %.2f %% of the test file" % (major, 100 * maj_acc))
    print("bag-of-words naive Bayes: %.2f %% of the test file" % (100 * nb_acc))


if __name__ == "__main__":
    main()
