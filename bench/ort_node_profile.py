#!/usr/bin/env python3
"""ONNX Runtime's per-node times (a profile written by bench/OrtNodeProfile.java) beside convcl's
per-step device times (the output of `convcl bench --model M --layers`, saved to a file).

    python3 bench/ort_node_profile.py PROFILE.json [--layers LAYERS.txt] [--backend opencl|cpu] [--top N]

Per node: the median over the calls of the profile's second half (the first half is warm-up) of its
"_kernel_time" events, in ms. With --layers, each convcl step (one line of `--layers`, its ONNX
nodes joined by '+') is matched with the ONNX Runtime nodes that ran those ONNX nodes: a node event
named after the ONNX node, or, for the nodes ONNX Runtime's NCHWc transformer rewrote, after the
node's output ('<node>_output_<i>_nchwc'). ONNX Runtime's own nodes (layout reorders, and the
nodes it splits a node into under names of its own, e.g. HardSwish into HardSigmoid_<i> and Mul_<i>)
have no step and are listed apart. Both sides are medians, so the sums are not either call's median; ONNX
Runtime's profiler adds time to every node (see OrtNodeProfile.java).
"""
import argparse
import collections
import json
import re
import statistics
import sys


def ort_nodes(path):
    events = json.load(open(path))
    runs = sorted(e['ts'] for e in events if e.get('name') == 'model_run')
    if len(runs) < 2:
        sys.exit(f'{path}: fewer than 2 model_run events; profile more calls')
    start = runs[len(runs) // 2]
    calls = len(runs) - len(runs) // 2
    times = collections.defaultdict(list)
    ops = {}
    for e in events:
        name = e.get('name', '')
        if e.get('cat') == 'Node' and name.endswith('_kernel_time') and e['ts'] >= start:
            node = name[:-len('_kernel_time')]
            times[node].append(e['dur'] / 1000.0)
            ops[node] = e.get('args', {}).get('op_name', '?')
    run_ms = statistics.median(e['dur'] / 1000.0 for e in events
                               if e.get('name') == 'model_run' and e['ts'] >= start)
    # a node that ran k times a call (none here, but a loop could) counts k medians
    per_call = {n: statistics.median(v) * max(1, round(len(v) / calls)) for n, v in times.items()}
    return per_call, ops, run_ms, calls


def convcl_steps(path, backend):
    """The step lines of the listing 'layers on BACKEND (...):', whatever each step's own backend
    column says: on the device's listing a step that fell back to the CPU path reads 'cpu' there,
    and the CPU path's own listing follows, with the same step names."""
    steps = []
    section = None
    for line in open(path):
        m = re.match(r'layers on (\S+) \(', line)
        if m:
            section = m.group(1)
            continue
        p = line.split()
        if section == backend and len(p) >= 5 and re.fullmatch(r'\d+\.\d+', p[0]):
            steps.append((float(p[0]), ' '.join(p[3:-1]), p[-1]))
    if not steps:
        sys.exit(f'{path}: no step lines under "layers on {backend} (" '
                 f'(run bench --model M --layers --device {backend})')
    return steps


def onnx_node_of(ort_node):
    m = re.fullmatch(r'(.*)_output_\d+_nchwc', ort_node)
    return m.group(1) if m else ort_node


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('profile')
    ap.add_argument('--layers')
    ap.add_argument('--backend', default='opencl')
    ap.add_argument('--top', type=int, default=0, help="only the N steps whose time exceeds ONNX Runtime's nodes' the most (convcl ms minus ort ms, largest first)")
    a = ap.parse_args()
    ort, ops, run_ms, calls = ort_nodes(a.profile)
    print(f'onnxruntime: {len(ort)} nodes, model_run median {run_ms:.3f} ms over {calls} calls '
          f'(profiler on), its nodes summed {sum(ort.values()):.3f} ms')
    if not a.layers:
        by_op = collections.defaultdict(float)
        for n, t in ort.items():
            by_op[ops[n]] += t
        for op, t in sorted(by_op.items(), key=lambda x: -x[1]):
            print(f'{t:9.3f} ms  {op}')
        return
    steps = convcl_steps(a.layers, a.backend)
    owner = {}
    for i, (_, _, step) in enumerate(steps):
        for node in step.split('+'):
            owner.setdefault(node, i)
    matched = collections.defaultdict(float)
    unmatched = collections.defaultdict(float)
    for n, t in ort.items():
        i = owner.get(onnx_node_of(n), owner.get(n))
        if i is None:
            unmatched[ops[n]] += t
        else:
            matched[i] += t
    rows = [(ms, matched.get(i, 0.0), alg, step) for i, (ms, alg, step) in enumerate(steps)]
    shown = sorted(rows, key=lambda r: -(r[0] - r[1]))[:a.top] if a.top else rows
    print(f'{"convcl ms":>10} {"ort ms":>9} {"ratio":>6}  algorithm / step (its ONNX nodes)')
    for ms, o, alg, step in shown:
        ratio = f'{ms / o:6.2f}' if o > 0 else '     -'
        print(f'{ms:10.3f} {o:9.3f} {ratio}  {alg}  {step}')
    print(f'{sum(r[0] for r in rows):10.3f} {sum(r[1] for r in rows):9.3f}         '
          f'all {len(rows)} steps ({a.backend}) and the ONNX Runtime nodes they match')
    for op, t in sorted(unmatched.items(), key=lambda x: -x[1]):
        print(f'{"":10} {t:9.3f}         ONNX Runtime only: {op}')


if __name__ == '__main__':
    main()
