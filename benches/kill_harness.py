"""Kill-at-random harness: each trial kills one stage (ingest, compute,
publish, deliver to the outbox, deliver through SMTP) with SIGKILL at a
random moment, runs it again to the end, and compares what it left with a
clean, uninterrupted run: the lake, the archive, the reports, the outbox and
the mails the SMTP server received. It counts losses (something the clean run
has that the trial lacks) and doubles (something twice that the clean run has
once). For mail, a message is its Message-ID (RFC 5322): a mail received twice
under one Message-ID is counted as sent again, apart from the doubles; that is
the README's at-least-once promise for a transaction whose answer was never
recorded.

    python3 benches/kill_harness.py [--trials 120] [--clients 60] [--binary PATH] [--seed N]
                                    [--slow-smtp 0]

Needs duckdb and aiosmtpd (pip install duckdb aiosmtpd), as the tests do.
`--slow-smtp N` adds N more SMTP trials against a server that waits 0.5 s
before it answers each mail, and kills deliver in that wait, the moment the
server has stored a mail: the one window in which the sender cannot know
whether the mail was taken (README, Mail). Under the at-least-once promise
each such trial should count exactly one mail sent again under its Message-ID
and no loss; the harness shows that it counts them at all.
"""

import argparse
import email
import hashlib
import os
import pathlib
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile

import duckdb

ROOT = pathlib.Path(__file__).resolve().parent.parent
# Columns that differ between two runs by nature: when, and in which batch.
VOLATILE = {"laad_id", "tijdstip", "gestart", "klaar", "verzonden", "berekening_id"}
PERIODE = "2019-Q4"


def run(binary, folder, *args, check=True):
    result = subprocess.run(
        [str(binary), "--quiet", "--config", "wmo.toml", *args],
        cwd=folder,
        capture_output=True,
        text=True,
    )
    if check and result.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed in {folder}: {result.stderr.strip()}")
    return result


def write_config(folder, smtp_port=None):
    text = (
        'gemeente = "0193"\n[ingest]\nbatch_megabytes = 1\n'
        '[deliver]\nafzender = "wmo-monitor@zwolle.example"\nraad = ["raad@zwolle.example", "griffie@zwolle.example"]\n'
        'toegestane_domeinen = ["zwolle.example"]\n'
    )
    if smtp_port:
        text += f'[deliver.smtp]\nhost = "127.0.0.1"\nport = {smtp_port}\nsecurity = "none"\nattempts = 1\n'
    (folder / "wmo.toml").write_text(text)


def table_rows(lake, table):
    """The rows of a lake table as a sorted list, without volatile columns."""
    folder = lake / table
    if not folder.exists():
        return []
    files = sorted(str(p) for p in folder.rglob("*.parquet"))
    if not files:
        return []
    con = duckdb.connect()
    relation = con.read_parquet(files, hive_partitioning=True, union_by_name=True)
    columns = [c for c in relation.columns if c not in VOLATILE]
    rows = relation.project(", ".join(f'"{c}"' for c in columns)).fetchall()
    return sorted(repr(r) for r in rows)


def lake_state(folder, tables):
    return {t: table_rows(folder / "data" / "lake", t) for t in tables}


def files_state(root):
    if not root.exists():
        return {}
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def report_state(out):
    """Published files: HTML without its 'made on' stamp, workbooks as readable zips."""
    state = {}
    folder = out / PERIODE
    for p in sorted(folder.rglob("*")) if folder.exists() else []:
        if not p.is_file():
            continue
        name = str(p.relative_to(folder))
        if p.suffix == ".html":
            text = re.sub(r"\d{2}-\d{2}-\d{4} \d{2}:\d{2}", "STAMP", p.read_text())
            state[name] = hashlib.sha256(text.encode()).hexdigest()
        elif p.suffix == ".xlsx":
            with zipfile.ZipFile(p) as z:
                state[name] = "valid" if z.testzip() is None else "broken"
        elif p.suffix == ".toml":
            state[name] = "present"
        else:
            state[name] = hashlib.sha256(p.read_bytes()).hexdigest()
    return state


def compare(clean, trial):
    """(lost, doubled) between two states: dicts of name -> list or value."""
    lost = doubled = 0
    for key, want in clean.items():
        got = trial.get(key)
        if isinstance(want, list):
            got = got or []
            remaining = list(got)
            for row in want:
                if row in remaining:
                    remaining.remove(row)
                else:
                    lost += 1
            doubled += len(remaining)
        elif isinstance(want, dict):
            got = got or {}
            lost += sum(1 for name, value in want.items() if got.get(name) != value)
            doubled += len(set(got) - set(want))
        elif got != want:
            lost += 1
    doubled += len(set(trial) - set(clean))
    return lost, doubled


class SmtpServer:
    def __init__(self, folder, delay=0.0):
        self.folder = folder
        args = [sys.executable, str(ROOT / "tests" / "smtp_server.py"), str(folder)]
        if delay:
            args += ["--answer-delay", str(delay)]
        self.process = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.port = int(self.process.stdout.readline())

    def received(self):
        """(recipient, Message-ID) of every mail the server took."""
        pairs = []
        for eml in sorted(self.folder.glob("*.eml")):
            message_id = email.message_from_bytes(eml.read_bytes()).get("Message-ID", "")
            for rcpt in eml.with_suffix(".rcpt").read_text().split():
                pairs.append(f"{rcpt} {message_id}")
        return sorted(pairs)

    def stop(self):
        self.process.stdin.close()
        self.process.wait(timeout=10)


def start(binary, folder, args):
    return subprocess.Popen(
        [str(binary), "--quiet", "--config", "wmo.toml", *args],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def killed(binary, folder, args, after):
    process = start(binary, folder, args)
    try:
        process.wait(timeout=after)
        return False
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        process.wait()
        return True


def killed_when_stored(binary, folder, args, server_folder, count):
    process = start(binary, folder, args)
    deadline = time.monotonic() + 120
    while len(list(server_folder.glob("*.rcpt"))) < count and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    if process.poll() is not None:
        return False
    process.send_signal(signal.SIGKILL)
    process.wait()
    return True


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=120)
    parser.add_argument("--clients", type=int, default=60)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--slow-smtp", type=int, default=0)
    # The harness runs a copy of the binary, so a rebuild meanwhile changes nothing.
    default_binary = ROOT / "target" / "release" / "wmo-monitor"
    if not default_binary.exists():
        default_binary = ROOT / "target" / "debug" / "wmo-monitor"
    parser.add_argument("--binary", type=pathlib.Path, default=default_binary)
    options = parser.parse_args()
    rng = random.Random(options.seed)
    base = pathlib.Path(tempfile.mkdtemp(prefix="wmo-kill-"))
    binary = base / "wmo-monitor"
    shutil.copy2(options.binary.resolve(), binary)
    os.environ.pop("WMO_MONITOR_PSEUDONYM_KEY", None)

    # The clean run, stage by stage, with a copy of the deployment before each.
    before = {}
    seconds = {}
    clean = base / "clean"
    clean.mkdir()
    write_config(clean)
    run(binary, clean, "demo", "--clients", str(options.clients), "--no-ingest")
    stages = [
        ("ingest", ["ingest"]),
        ("compute", ["compute", "--all"]),
        ("publish", ["publish", "--periode", PERIODE]),
        ("deliver", ["deliver", "--periode", PERIODE]),
    ]
    for name, args in stages:
        before[name] = base / f"before-{name}"
        shutil.copytree(clean, before[name], symlinks=True)
        started = time.monotonic()
        run(binary, clean, *args)
        seconds[name] = time.monotonic() - started
    raw_tables = [p.name for p in (clean / "data" / "lake").iterdir() if not p.name.startswith(("kpi_", "_"))]
    raw_tables = [t for t in raw_tables if t not in ("berekeningen", "verzendingen", "uitvoeringen")]
    kpi_tables = [p.name for p in (clean / "data" / "lake").iterdir() if p.name.startswith("kpi_")]

    def state(stage, folder):
        if stage == "ingest":
            return {
                **lake_state(folder, raw_tables),
                "archive": files_state(folder / "archive"),
                "inbox": files_state(folder / "inbox"),
            }
        if stage == "compute":
            return lake_state(folder, kpi_tables)
        if stage == "publish":
            return {"reports": report_state(folder / "out")}
        if stage == "deliver":
            ledger = [
                r for r in table_rows(folder / "data" / "lake", "verzendingen") if "smtp-bezig" not in r
            ]
            return {"outbox": sorted(files_state(folder / "out" / "outbox" / PERIODE)), "ledger": ledger}
        raise ValueError(stage)

    expected = {name: state(name, clean) for name, _ in stages}

    # The clean SMTP delivery: which recipient gets which Message-ID.
    smtp_clean = base / "smtp-clean"
    shutil.copytree(before["deliver"], smtp_clean, symlinks=True)
    server = SmtpServer(base / "smtp-clean-server")
    write_config(smtp_clean, server.port)
    started = time.monotonic()
    run(binary, smtp_clean, "deliver", "--periode", PERIODE)
    seconds["smtp"] = time.monotonic() - started
    expected_mail = server.received()
    server.stop()

    kinds = ["ingest", "compute", "publish", "deliver", "smtp"]
    plan = [kinds[i % len(kinds)] for i in range(options.trials)] + ["slow-smtp"] * options.slow_smtp
    totals = {}
    for number, kind in enumerate(plan, 1):
        trial = base / f"trial-{number}"
        stage = "deliver" if kind in ("smtp", "slow-smtp") else kind
        shutil.copytree(before[stage], trial, symlinks=True)
        args = dict(stages)[stage]
        server = None
        if kind in ("smtp", "slow-smtp"):
            server = SmtpServer(base / f"trial-{number}-server", 0.5 if kind == "slow-smtp" else 0.0)
            write_config(trial, server.port)
        if kind == "slow-smtp":
            # Killed the moment the server has stored the k-th mail, while
            # its answer is pending.
            after = rng.randint(1, max(1, len(expected_mail) // 2))
            was_killed = killed_when_stored(binary, trial, args, server.folder, after)
        else:
            after = rng.uniform(0.0, 1.1 * seconds[kind])
            was_killed = killed(binary, trial, args, after)
        run(binary, trial, *args)
        resent = 0
        if server:
            got = server.received()
            server.stop()
            # A message is its Message-ID (RFC 5322): the same one received twice
            # is one message transmitted again, counted apart from a double.
            lost, doubled = compare({"mail": expected_mail}, {"mail": sorted(set(got))})
            resent = len(got) - len(set(got))
        else:
            lost, doubled = compare(expected[stage], state(stage, trial))
        entry = totals.setdefault(kind, [0, 0, 0, 0, 0])
        entry[0] += 1
        entry[1] += was_killed
        entry[2] += lost
        entry[3] += doubled
        entry[4] += resent
        moment = f"after mail {after}" if kind == "slow-smtp" else f"after {after:5.2f} s"
        outcome = "killed" if was_killed else "finished"
        print(f"trial {number:3} {kind:9} {moment}: {outcome}, lost {lost}, doubled {doubled}, sent again {resent}", flush=True)
        shutil.rmtree(trial)

    print()
    print("| stage | trials | killed mid-run | lost | doubled | mails sent again (same Message-ID) |")
    print("|---|---:|---:|---:|---:|---:|")
    for kind, (trials, kills, lost, doubled, resent) in totals.items():
        print(f"| {kind} | {trials} | {kills} | {lost} | {doubled} | {resent} |")
    trials = sum(t[0] for t in totals.values())
    lost = sum(t[2] for t in totals.values())
    doubled = sum(t[3] for t in totals.values())
    resent = sum(t[4] for t in totals.values())
    print(f"\n{trials} trials: {lost} lost, {doubled} doubled, {resent} mails sent again under their Message-ID")
    shutil.rmtree(base)


if __name__ == "__main__":
    main()
