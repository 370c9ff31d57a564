#!/usr/bin/env python3
"""Benchmark (b) of the federation issue: N daemons on loopback in a random
connected graph of average degree 3 (no discovery, so the graph stays as
drawn).  For each N, records are published one at a time at random nodes;
each daemon logs (at debug level, with millisecond timestamps) when it
stored a record, so the spread time comes from the daemons, not from
polling.  Printed next to the physical reference measured in the same run:
the one-hop time (a record crossing a single link) times the number of hops
from the origin to the farthest node.  Copies received per node per record
come from the daemons' own counters (records received, duplicates
included); 1.0 is the ideal.

usage: bench_gossip.py [N ...]   (default 10 30 50)
"""
import collections
import datetime
import json
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'system'))
from harness import Harness, examples, wait_until  # noqa: E402

RECORDS = 15


def log_times(node, what, rid):
    """Millisecond timestamps of `what` lines for record id rid in node's log."""
    out = []
    with open(node.log_path) as f:
        for line in f:
            parts = line.split()
            if len(parts) > 2 and parts[2] == what and ('id=%s' % rid) in line:
                ts = datetime.datetime.strptime(parts[0], '%Y-%m-%dT%H:%M:%S.%fZ')
                out.append(ts.timestamp() * 1000)
    return out


def bfs_ecc(adj, src):
    dist = {src: 0}
    q = collections.deque([src])
    while q:
        u = q.popleft()
        for v in adj[u]:
            if v not in dist:
                dist[v] = dist[u] + 1
                q.append(v)
    return max(dist.values()), len(dist)


def received(nodes):
    total = 0
    for n in nodes:
        for p in n.json('peers')['connections']:
            total += p['records_in']
    return total


def make_doc(h, i):
    src = json.load(open(examples(('news',))[0]))
    src['id'] = 'bench-%d' % i
    path = os.path.join(h.dir, 'bench-%d.json' % i)
    json.dump(src, open(path, 'w'))
    return path, src['id']


def run_n(n_nodes, rng):
    with Harness('bench-gossip-%d' % n_nodes) as h:
        # every node is 127.0.0.1 here: lift the per-address limit meant for the internet
        conf, _ = h.federation_config(extra='dial = 0\nmax_per_ip = 64\n')
        adj = {i: set() for i in range(n_nodes)}
        # a random spanning tree, then extra random edges up to ~1.5 N edges
        dials = {i: set() for i in range(n_nodes)}
        for i in range(1, n_nodes):
            j = rng.randrange(i)
            dials[i].add(j)
        edges = n_nodes - 1
        while edges < (3 * n_nodes) // 2:
            i = rng.randrange(1, n_nodes)
            j = rng.randrange(i)
            if j not in dials[i]:
                dials[i].add(j)
                edges += 1
        for i, js in dials.items():
            for j in js:
                adj[i].add(j)
                adj[j].add(i)
        nodes = []
        for i in range(n_nodes):
            peers = []
            for j in sorted(dials[i]):
                peers += ['--peer', nodes[j].addr]
            node = h.node('n%d' % i, ['--config', conf, '--log-level', 'debug'] + peers)
            node.start(timeout=60)
            nodes.append(node)
        wait_until(lambda: all(len([c for c in nodes[i].json('peers')['connections']
                                    if c['state'] == 'open']) == len(adj[i])
                               for i in range(n_nodes)), 120, 'the graph to connect')
        # let the node records settle before measuring
        h.converged(nodes, timeout=120, what='node records to spread')
        base = received(nodes)
        lat, ecc_all = [], []
        for k in range(RECORDS):
            origin = rng.randrange(n_nodes)
            path, rid = make_doc(h, k)
            nodes[origin].gilde('publish', path)
            wait_until(lambda: all(log_times(x, 'stored', rid) or x is nodes[origin] for x in nodes),
                       60, 'record %s to reach every node' % rid)
            t0 = log_times(nodes[origin], 'published', rid)[0]
            last = max(log_times(x, 'stored', rid)[0] for x in nodes if x is not nodes[origin])
            ecc, reach = bfs_ecc(adj, origin)
            assert reach == n_nodes
            lat.append(last - t0)
            ecc_all.append(ecc)
        # counters settle once every WANT has been answered
        time.sleep(0.5)
        copies = (received(nodes) - base) / (RECORDS * (n_nodes - 1))
        return lat, ecc_all, copies


def one_hop(rng):
    """The physical reference: one record across one link, same machine, same run."""
    with Harness('bench-hop') as h:
        conf, _ = h.federation_config(extra='dial = 0\n')
        a = h.node('a', ['--config', conf, '--log-level', 'debug'])
        a.start()
        b = h.node('b', ['--config', conf, '--log-level', 'debug', '--peer', a.addr])
        b.start()
        wait_until(lambda: a.json('peers')['connections'], 20, 'the link')
        h.converged([a, b], what='node records')
        times = []
        for k in range(RECORDS):
            path, rid = make_doc(h, 1000 + k)
            a.gilde('publish', path)
            wait_until(lambda: log_times(b, 'stored', rid), 20, 'one hop')
            times.append(log_times(b, 'stored', rid)[0] - log_times(a, 'published', rid)[0])
        times.sort()
        return times[len(times) // 2]


def main():
    sizes = [int(x) for x in sys.argv[1:]] or [10, 30, 50]
    rng = random.Random(20261123)
    hop = one_hop(rng)
    print('one-hop time (publish at a, stored at b, one link): median %.1f ms' % hop)
    print('%4s %8s %12s %12s %10s %14s %10s' % ('N', 'records', 'median ms', 'max ms',
                                               'hops(max)', 'vs hops*hop', 'copies/node'))
    for n in sizes:
        lat, ecc, copies = run_n(n, rng)
        order = sorted(range(len(lat)), key=lambda i: lat[i])
        med = lat[order[len(order) // 2]]
        ref = ecc[order[len(order) // 2]] * max(hop, 0.1)
        print('%4d %8d %12.1f %12.1f %10d %14.2f %10.3f' % (n, len(lat), med, max(lat), max(ecc),
                                                         med / ref, copies))
        sys.stdout.flush()


if __name__ == '__main__':
    main()
