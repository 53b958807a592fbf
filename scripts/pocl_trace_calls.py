#!/usr/bin/env python3
"""Where a network's call goes on POCL, from its command trace.

Run a benchmark with POCL's text trace on, e.g.
    POCL_TRACING=text scripts/convcl bench --model NET.onnx --input-shape 1,3,224,224 \\
        --device opencl --no-peak --iters 20 --seconds 1
which writes pocl_trace_events.log in the working directory (each command's queued, submitted,
running and complete times in ns), then
    scripts/pocl_trace_calls.py pocl_trace_events.log [CALLS]
The kernel and device-copy commands are cut into calls at the host-side buffer copies (a compiled
graph's call copies its input into its buffer and its output out of it); the segments of the most
common length are the calls, the last CALLS (20) of them are read. Printed: the call's span (first
command running to last complete), the sum of its commands' run times, the difference (POCL's
scheduling between commands: on the 2-core VMs about 12 us from a command's submission to its
start, 3 us from the previous one's end to its submission), and each kernel's count and median
run time a call. A trace compares two builds within one run of each better than whole-call
medians, which drift by up to 1.6x between runs on a shared VM.
"""
import collections
import statistics
import sys


def read(path):
    events = collections.OrderedDict()
    with open(path) as f:
        for line in f:
            p = [x.strip() for x in line.split('|')]
            if len(p) < 6:
                continue
            e = events.setdefault(p[1], {'kind': p[4], 'name': p[4]})
            e[p[5]] = int(p[0])
            for x in p[6:]:
                if x.startswith('name='):
                    e['name'] = x[5:]
    return [e for e in events.values() if 'running' in e and 'complete' in e
            and e['kind'] not in ('read_buffer', 'write_buffer', 'map_buffer', 'unmap_mem_object')]


def calls(commands, count):
    segments, current = [], []
    for e in commands:
        if e['kind'] == 'copy_buffer':
            if current:
                segments.append(current)
            current = []
        else:
            current.append(e)
    if current:
        segments.append(current)
    lengths = [len(s) for s in segments if len(s) > 3]
    if not lengths:
        sys.exit('no calls found: was the trace taken of a compiled graph (bench --model)?')
    period = statistics.mode(lengths)
    return [s for s in segments if len(s) == period][-count:]


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    found = calls(read(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 20)
    spans = [(max(e['complete'] for e in c) - min(e['running'] for e in c)) / 1e3 for c in found]
    runs = [sum(e['complete'] - e['running'] for e in c) / 1e3 for c in found]
    span, run = statistics.median(spans), statistics.median(runs)
    print(f"{len(found)} calls of {len(found[0])} commands: span median {span:.0f} us, "
          f"commands running {run:.0f} us, between them {span - run:.0f} us")
    counts = collections.Counter(e['name'] for e in found[0])
    per = collections.defaultdict(list)
    for c in found:
        acc = collections.Counter()
        for e in c:
            acc[e['name']] += (e['complete'] - e['running']) / 1e3
        for k, v in acc.items():
            per[k].append(v)
    for k in sorted(counts, key=lambda k: -statistics.median(per[k])):
        print(f"  {k:28s} x{counts[k]:<4d} {statistics.median(per[k]):8.0f} us a call")


if __name__ == '__main__':
    main()
