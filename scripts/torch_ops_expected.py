#!/usr/bin/python3
"""Writes PyTorch's results for the network operations' reference test (TorchOpsTest):
pooling (max and average: ceil_mode, count_include_pad, dilation, padding), element-wise
arithmetic with broadcasting, channel shuffle and constant padding, computed in float64 by torch on inputs both
sides derive from the element index: value(role, j) = ((j * 7919 + 131 * role) % 1000) / 500 - 1
(computed the same way in float64 on both sides), role 0 for the input, 1 for the second operand.

Set-up (Debian packages; the system python, not a pyenv one):
  apt-get install -y python3-torch
Run (from the repository root):
  /usr/bin/python3 scripts/torch_ops_expected.py > src/test/resources/graph/torch-ops.txt
Each output line: the operation's one-line form, ' | ', then the expected values (%.17g).
"""
import random

import torch
import torch.nn.functional as F


def values(role, shape):
    n = 1
    for d in shape:
        n *= d
    v = [((j * 7919 + 131 * role) % 1000) / 500.0 - 1.0 for j in range(n)]
    return torch.tensor(v, dtype=torch.float64).reshape(shape)


def line(op, out):
    print(op + " | " + " ".join("%.17g" % x for x in out.flatten().tolist()))


def pool(kind, n, c, h, w, k, s, p, d, ceil, cip):
    x = values(0, (n, c, h, w))
    if kind == "max":
        y = F.max_pool2d(x, k, s, p, d, ceil_mode=bool(ceil))
    else:
        y = F.avg_pool2d(x, k, s, p, ceil_mode=bool(ceil), count_include_pad=bool(cip))
    pair = lambda a: str(a[0]) if a[0] == a[1] else "%d,%d" % a
    line("op=pool2d kind=%s n=%d c=%d h=%d w=%d kh=%d kw=%d stride=%s pad=%s dil=%s ceil=%d cip=%d"
         % (kind, n, c, h, w, k[0], k[1], pair(s), pair(p), pair(d), ceil, cip), y)


def main():
    # hand-picked: ceil_mode's last-window rule and count_include_pad past the padding
    pool("max", 1, 2, 5, 5, (2, 2), (2, 2), (1, 1), (1, 1), 1, 0)
    pool("avg", 1, 2, 5, 5, (2, 2), (2, 2), (1, 1), (1, 1), 1, 1)
    pool("avg", 1, 2, 5, 5, (2, 2), (2, 2), (1, 1), (1, 1), 1, 0)
    pool("avg", 2, 3, 6, 6, (3, 3), (2, 2), (1, 1), (1, 1), 1, 1)
    pool("avg", 2, 3, 6, 6, (3, 3), (2, 2), (1, 1), (1, 1), 1, 0)
    pool("max", 2, 3, 6, 6, (3, 3), (2, 2), (1, 1), (1, 1), 1, 0)
    pool("max", 1, 4, 11, 11, (3, 3), (2, 2), (1, 1), (1, 1), 0, 0)
    pool("max", 1, 2, 9, 8, (3, 3), (1, 1), (1, 1), (2, 2), 0, 0)
    pool("avg", 1, 3, 7, 9, (3, 2), (2, 1), (1, 1), (1, 1), 1, 0)
    rng = random.Random(7)
    done = 0
    while done < 40:
        kind = rng.choice(["max", "avg"])
        k = (rng.randint(1, 4), rng.randint(1, 4))
        s = (rng.randint(1, 3), rng.randint(1, 3))
        p = (rng.randint(0, k[0] // 2), rng.randint(0, k[1] // 2))
        d = (rng.randint(1, 2), rng.randint(1, 2)) if kind == "max" else (1, 1)
        h, w = rng.randint(1, 12), rng.randint(1, 12)
        ceil = rng.randint(0, 1)
        cip = rng.randint(0, 1) if kind == "avg" else 0
        try:
            pool(kind, rng.randint(1, 2), rng.randint(1, 3), h, w, k, s, p, d, ceil, cip)
            done += 1
        except RuntimeError:
            pass  # output too small: torch refuses it as convcl does
    for kind, a, b in [("add", (2, 3, 4, 5), (2, 3, 1, 1)), ("mul", (2, 3, 4, 5), (1, 3, 1, 1)),
                       ("sub", (1,), (2, 3, 4)), ("div", (3, 1, 5), (4, 1)), ("add", (2, 1, 4, 1), (1, 3, 1, 5)),
                       ("mul", (6,), (2, 6)), ("div", (2, 3, 4, 5), (5,))]:
        x, y = values(0, a), values(1, b)
        if kind == "div":
            y = torch.where(y < 0, y - 0.5, y + 0.5)  # the test keeps divisors away from zero the same way
        out = {"add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div}[kind](x, y)
        line("op=binary kind=%s a=%s b=%s" % (kind, ",".join(map(str, a)), ",".join(map(str, b))), out)
    for n, c, h, w, g in [(2, 6, 3, 5, 3), (1, 8, 2, 2, 2), (1, 12, 1, 3, 4)]:
        x = values(0, (n, c, h, w))
        out = x.view(n, g, c // g, h, w).transpose(1, 2).reshape(n, c, h, w)
        line("op=channel_shuffle n=%d c=%d h=%d w=%d groups=%d" % (n, c, h, w, g), out)
    for n, c, h, w, t, l, b, r, v in [(1, 2, 3, 4, 1, 0, 2, 3, 0.0), (2, 1, 2, 2, 0, 1, 0, 1, -1.5),
                                      (1, 1, 1, 1, 2, 2, 2, 2, 7.0)]:
        x = values(0, (n, c, h, w))
        out = F.pad(x, (l, r, t, b), value=v)
        line("op=pad2d n=%d c=%d h=%d w=%d pad=%d,%d,%d,%d value=%s" % (n, c, h, w, t, l, b, r, v), out)


if __name__ == "__main__":
    main()
