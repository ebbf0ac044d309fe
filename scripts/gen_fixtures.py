#!/usr/bin/env python3
"""Generates the lesson fixtures under fixtures/ (deterministic: same seed, same files).

Run from the repository root:  python3 scripts/gen_fixtures.py
This script writes the fixtures of the first three lessons, then runs every
scripts/fixtures/<lesson>.py (each writes fixtures/<lesson>/ and prints its facts).
It also prints the facts the lessons' checks rely on (top scores, ranks, sums), so a lesson can be
updated if the data changes.
"""
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "fixtures"

ADJECTIVES = """swift brave quiet lucky clever bold calm eager fierce gentle happy jolly keen lively
mighty noble proud rapid sly tiny witty zesty amber azure crimson golden silver misty frosty sunny
stormy shadow cosmic pixel turbo hyper mega neon retro""".split()
ANIMALS = """otter falcon panda tiger wolf fox lynx owl raven heron koala badger bison cobra
dingo eagle ferret gecko hawk ibis jaguar lemur marmot newt ocelot puma quail rhino shark tapir
urchin viper walrus yak zebra moose orca""".split()


def write(path, lines):
    path = ROOT / path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


def strings_counters(rng):
    pages = ["about", "contact", "pricing", "blog", "careers", "docs", "faq", "login", "signup",
             "redis-streams", "redis-lists", "redis-sets", "redis-hashes", "sorted-sets", "pubsub",
             "lua-scripting", "persistence", "replication", "cluster", "sentinel"]
    lines = ["# Page-view counters of a small tech news site (page:<slug>:views)"]
    for page in pages:
        views = 1200 if page == "redis-streams" else rng.randint(40, 9000)
        lines.append(f"SET page:{page}:views {views}")
    lines.append("# Article bodies (long strings: encoding raw)")
    bodies = [
        "Redis Streams are an append-only log with consumer groups, ideal for event sourcing.",
        "Lists in Redis are linked lists of listpacks: pushes and pops at either end are O(1).",
        "Sets hold unique members and answer membership questions in constant time.",
        "Sorted sets keep members ordered by score, which makes leaderboards almost free.",
        "Hashes store objects as field/value pairs, compactly encoded while they stay small.",
    ]
    for i, body in enumerate(bodies, start=1):
        lines.append(f'SET article:{i}:body "{body}"')
    write("strings-counters/pages.redis", lines)


def key_expiry(rng):
    names = ["ann", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy"]
    lines = ["# One-time verification codes with staggered TTLs (seconds), plus verified markers"]
    fixed = {"bob": 900, "carol": 600}
    for i in range(50):
        name = names[i % len(names)] + ("" if i < len(names) else str(i))
        if name == "ann":
            continue  # the learner creates otp:ann in step 1
        ttl = fixed.get(name, rng.randint(300, 3000))
        lines.append(f"SET otp:{name} {rng.randint(100000, 999999)} EX {ttl}")
    lines.append("SET verified:ann 1 EX 86400")
    write("key-expiry/tokens.redis", lines)


def leaderboard(rng):
    handles = [f"{a}_{b}" for a in ADJECTIVES for b in ANIMALS]
    rng.shuffle(handles)
    players = handles[:1000]
    assert "swift_otter" in handles
    if "swift_otter" not in players:
        players[500] = "swift_otter"
    scores = {}
    for p in players:
        scores[p] = int(rng.lognormvariate(8.5, 0.9))
    # Distinct scores keep every ranking deterministic to read.
    used = set()
    for p in players:
        while scores[p] in used:
            scores[p] += 1
        used.add(scores[p])
    scores["swift_otter"] = 11_850
    while list(scores.values()).count(11_850) > 1:
        for p in players:
            if p != "swift_otter" and scores[p] == 11_850:
                scores[p] += 3
    lines = ["# All-time leaderboard: 1,000 players (ZADD leaderboard score member)"]
    for i in range(0, len(players), 100):
        chunk = players[i:i + 100]
        lines.append("ZADD leaderboard " + " ".join(f"{scores[p]} {p}" for p in chunk))
    daily = {}
    lines.append("# Seven daily boards: points scored that day by the ~300 players who played")
    for day in range(1, 8):
        played = rng.sample(players, 300)
        if "swift_otter" not in played:
            played[0] = "swift_otter"
        board = {p: rng.randint(10, 900) for p in played}
        daily[day] = board
        for i in range(0, len(played), 100):
            chunk = played[i:i + 100]
            lines.append(f"ZADD board:day:{day} " + " ".join(f"{board[p]} {p}" for p in chunk))
    write("leaderboard/scores.redis", lines)

    # Facts the lesson checks rely on, after its first two steps (rookie_rita 4200, otter +150).
    final = dict(scores)
    final["rookie_rita"] = 4200
    final["swift_otter"] += 150
    ranking = sorted(final.items(), key=lambda kv: (-kv[1], tuple(-ord(c) for c in kv[0])))
    rank = [p for p, _ in ranking].index("swift_otter")
    print("top10:", [(p, s) for p, s in ranking[:10]])
    print("swift_otter rank:", rank, "score:", final["swift_otter"])
    print("around:", ranking[rank - 2:rank + 3])
    week = {}
    for board in daily.values():
        for p, s in board.items():
            week[p] = week.get(p, 0) + s
    print("week size:", len(week), "swift_otter week:", week["swift_otter"])


def main():
    rng = random.Random(20261122)
    strings_counters(rng)
    key_expiry(rng)
    leaderboard(rng)
    import subprocess, sys
    for script in sorted((Path(__file__).resolve().parent / "fixtures").glob("*.py")):
        print(f"== {script.stem}")
        subprocess.run([sys.executable, str(script), str(ROOT)], check=True)


if __name__ == "__main__":
    main()
