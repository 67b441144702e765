#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Who calls whom, read from the objects (nm): no two xlbd files call each
# other, and no chain of calls comes back to where it started (issue 27:
# a probe result's walk to the data path goes one way). The library's
# circles are listed, not failed: its parts are older than the rule.
import glob
import os
import subprocess
import sys


def graph(objdir):
    defs, uses = {}, {}
    for o in sorted(glob.glob(os.path.join(objdir, '*.o'))):
        name = os.path.basename(o)[:-2]
        out = subprocess.run(['nm', o], capture_output=True, text=True, check=True).stdout
        defs[name], uses[name] = set(), set()
        for line in out.splitlines():
            p = line.split()
            if len(p) == 3 and p[1] in 'TDBR':
                defs[name].add(p[2])
            elif len(p) == 2 and p[0] == 'U':
                uses[name].add(p[1])
    owner = {s: n for n, ss in defs.items() for s in ss}
    return {n: {owner[s] for s in uses[n] if s in owner and owner[s] != n} for n in defs}


def circles(g):
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(g[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(g):
        if v not in index:
            visit(v)
    return out


build = sys.argv[1] if len(sys.argv) > 1 else 'build'
if not glob.glob(os.path.join(build, 'daemon', '*.o')):
    print(f"SKIPPED: layout/daemon_calls_one_way (no objects in {build}/daemon: run make first)")
    sys.exit(0)
daemon = circles(graph(os.path.join(build, 'daemon')))
if daemon:
    print("FAIL: layout/daemon_calls_one_way")
    for c in daemon:
        print("  these xlbd files call each other round: " + " -> ".join(c))
else:
    print("PASS: layout/daemon_calls_one_way")
    print(f"  {len(glob.glob(os.path.join(build, 'daemon', '*.o')))} xlbd files, no circle of calls")
lib = circles(graph(build))
for c in lib:
    print("  library files that call each other round (not failed): " + " -> ".join(c))
sys.exit(1 if daemon else 0)
