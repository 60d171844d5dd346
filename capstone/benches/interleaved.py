"""Times commands in interleaved rounds: every round runs each command once, in a new random
order (seeded, so two runs of a script use the same orders), and the first three rounds warm
up. Prints min / p10 / median / p90 in ms per command. Used by start.sh and compare-builds.sh.

    python3 interleaved.py RUNS -n NAME COMMAND [-n NAME COMMAND]...   (hyperfine's -n form)
"""
import random, shlex, subprocess, sys, time

runs, triples = int(sys.argv[1]), sys.argv[2:]
names, cmds = triples[1::3], [shlex.split(c) for c in triples[2::3]]
times = [[] for _ in names]
shuffle = random.Random(14)
for i in range(runs + 3):
    order = list(range(len(names)))
    shuffle.shuffle(order)
    for k in order:
        start = time.perf_counter()
        subprocess.run(cmds[k], check=True, stdout=subprocess.DEVNULL)
        if i >= 3:
            times[k].append((time.perf_counter() - start) * 1000)
print(f"interleaved (shuffled), {runs} rounds [ms]: min / p10 / median / p90")
for name, t in zip(names, times):
    t.sort()
    print(f"  {name}: {t[0]:.1f} / {t[len(t) // 10]:.1f} / {t[len(t) // 2]:.1f} / {t[len(t) * 9 // 10]:.1f}")
