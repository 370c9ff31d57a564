#!/usr/bin/env python3
"""[store] mapped_max: a node that imports a store many times the bound
holds no more of the store's file in memory than the bound (plus what a
few dozen records map between checks), at the end and at its peak, and
says so in `gilde status`; a node without the bound holds far more, so the
check can fail.  SIGHUP sets a new bound."""
import os
import signal
import subprocess

from harness import Harness, MemoryPeak, check, memory, run, wait_until

ATTACK = os.environ.get('ATTACK', 'attack')
N = 36000
BOUND = 24 << 20


def main():
    with Harness('memory') as h:
        export = os.path.join(h.dir, 'many.gilde')
        subprocess.run([ATTACK, 'mkexport', export, str(N), '30', 'shuffled'], check=True,
                       capture_output=True, timeout=300)
        conf, _ = h.federation_config(extra='dial = 0\n')
        bounded = h.write_config('bounded', open(conf).read() + '[store]\nmapped_max = 24M\n')
        unbounded = h.write_config('unbounded', open(conf).read() + '[store]\nmapped_max = 0\n')
        # the file goes to the daemon as it is, shuffled (gilde import would
        # put it in key order): random order touches the most of the store
        # and makes it largest, the hardest case for the bound
        unsorted = {'GILDE_IMPORT_CHUNK': '1'}
        a = h.node('a', ['--config', bounded], env=unsorted)
        b = h.node('b', ['--config', unbounded], env=unsorted)
        peaks = {}
        file_peaks = {}
        for node in (a, b):
            node.start()
            with MemoryPeak(node.proc.pid, ('RssFile', 'RssShmem'), 0.01) as fp:
                check(node.json('import', export)['accepted'] == N, node.name + ': import')
                # and the search index caught up (records are indexed after
                # their commit): its pages are the store's too, under the bound
                wait_until(lambda: node.json('status')['search']['index_behind'] == 0, 120,
                           node.name + ': the search index to catch up')
            file_peaks[node.name] = fp.kib
            mem = node.json('status')['daemon']['memory']
            check(mem['resident'] == mem['anonymous'] + mem['file'] and mem['peak'] >= mem['resident'],
                  '%s: memory figures add up: %r' % (node.name, mem))
            peaks[node.name] = (mem, memory(node.proc.pid))
        used = a.json('status')['store']['used_bytes']
        check(used > 2 * BOUND, 'the store (%d bytes) is well over the bound' % used)

        mem_a, proc_a = peaks['a']
        mem_b, proc_b = peaks['b']
        # the daemon reports what the kernel says (kB granularity)
        check(abs(mem_a['file'] // 1024 - (proc_a['RssFile'] + proc_a['RssShmem'])) < 2048,
              'status file figure %r vs /proc %r' % (mem_a, proc_a))
        check(mem_a['map_releases'] > 0, 'the bounded node never let go of its map: %r' % mem_a)
        check(mem_b['map_releases'] == 0, 'the unbounded node let go of its map: %r' % mem_b)
        # between checks (store_int.h) 16 records or 64 entries read may map
        # up to 4 MiB more
        slack = 6 << 20
        print('bounded node: %d MiB of files now, at most %d MiB sampled (%d MiB from its peak)' %
              (mem_a['file'] >> 20, file_peaks['a'] >> 10, (proc_a['VmHWM'] - proc_a['RssAnon']) >> 10))
        check(mem_a['file'] <= BOUND + slack, 'bounded node holds %d MiB of files' % (mem_a['file'] >> 20))
        # the peak: files at most the bound and slack, sampled throughout
        check(file_peaks['a'] * 1024 <= BOUND + slack,
              'bounded node mapped %d MiB of files at its peak' % (file_peaks['a'] >> 10))
        # and from the kernel's own peak, beside the process's own memory;
        # not under the sanitizers, whose anonymous memory (ASan's
        # quarantine) moves by tens of MiB, so that the peak's share of
        # files cannot be told from the anonymous memory at the end (the
        # CI once read 38 MiB so, while the samples saw 17)
        if not os.environ.get('GILDE_SANITIZED'):
            check((proc_a['VmHWM'] - proc_a['RssAnon']) * 1024 <= BOUND + slack,
                  'bounded node peak %d MiB with %d MiB its own' % (proc_a['VmHWM'] >> 10,
                                                                     proc_a['RssAnon'] >> 10))
        # the control: without the bound the same work keeps far more mapped
        check(mem_b['file'] > BOUND + slack and file_peaks['b'] * 1024 > BOUND + slack,
              'the unbounded node holds only %d MiB of files (%d at its peak): the test proves nothing'
              % (mem_b['file'] >> 20, file_peaks['b'] >> 10))

        # the bound changes on SIGHUP, and a lookup-only load is trimmed by the timer
        open(unbounded, 'w').write(open(bounded).read())
        b.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: b.json('status')['daemon']['memory']['file'] <= BOUND, 10,
                   'b to let go of its map after SIGHUP set a bound')
        check(b.json('status')['daemon']['memory']['map_releases'] > 0, 'b released once')


if __name__ == '__main__':
    run(main)
