"""sgconv conformance: every document sgconv exports must be accepted by the providers'
official Python SDKs (driven strictly, plus the API constraints they do not check), every
document the SDKs write must import into sgconv, and deliberately broken documents must be
rejected. Run through tests/conformance/run.sh (it sets up the pinned SDKs).

    python harness.py --sgconv target/debug/sgconv --fixtures tests/fixtures --out DIR

Prints one line per failure, the count of each conversion outcome (refusals and errors export
nothing and are only counted), and closes with `N passed, M failed`; exits 1 on any failure.
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

import check_aws_ec2
import check_azure_nsg
import check_gcore
import check_huawei
import check_openstack
import check_scaleway

TARGET_GROUP = "0552091e-b83a-49dd-88a7-4a5c86fd9ec3"  # --target-group for Huawei/OpenStack
# Targets whose rule bodies name their group (Neutron's security_group_id): given one.
NAMES_GROUP = {"huawei", "openstack"}


def validate(target: str, doc, group_id: str = TARGET_GROUP) -> list[str]:
    if target in ("gcore-v1", "gcore-v2"):
        return check_gcore.validate(target, doc)
    if target == "huawei":
        return check_huawei.validate(doc, group_id)
    if target == "scaleway":
        return check_scaleway.validate(doc)
    if target == "aws-ec2":
        return check_aws_ec2.validate(doc)
    if target == "openstack":
        return check_openstack.validate(doc)
    if target == "azure-nsg":
        return check_azure_nsg.validate(doc)
    raise KeyError(target)


VALIDATED = {"gcore-v1", "gcore-v2", "huawei", "scaleway", "aws-ec2", "openstack", "azure-nsg"}
# Targets that write more than one document shape: the extra shapes, each exported too.
SHAPES = {"aws-ec2": ["authorize"]}
UNCHECKED = {"canonical"}  # sgconv's own format: no provider, no SDK


def validate_document(target: str, doc) -> list[str]:
    """A one-group document, or the multi-group envelope {"groups": [{name, id, document}]}."""
    if not (isinstance(doc, dict) and set(doc) == {"groups"}):
        return validate(target, doc)
    out = []
    for i, item in enumerate(doc["groups"]):
        if not (isinstance(item, dict) and set(item) <= {"name", "id", "document"}
                and "document" in item):
            out.append(f"groups[{i}]: not {{name, id, document}}")
            continue
        out += [f"groups[{i}].document{e if e.startswith('[') else ' ' + e}"
                for e in validate(target, item["document"], item.get("id") or TARGET_GROUP)]
    return out


def sources(fixtures: Path):
    """(source provider, fixture path, extra arguments) for every fixture, as
    tests/common/mod.rs lists them; bare Scaleway rule lists once per default-policy pair."""
    out = []
    for d in sorted(p for p in fixtures.iterdir() if p.is_dir()):
        for f in sorted(d.iterdir()):
            if f.suffix not in (".json", ".yaml", ".yml", ".tfstate"):
                continue
            if d.name == "terraform":  # Terraform state and plans: the provider leads the name
                provider = f.stem.split("_")[0]
                if provider == "gcore":
                    provider = "gcore-" + f.stem.split("_")[1]
                out.append((provider, f, []))
            elif d.name == "gcore":
                out.append((f"gcore-{f.name[:2]}", f, []))
            elif d.name == "scaleway-rule-lists":
                for inbound in ("drop", "accept"):
                    out.append(("scaleway", f, ["--inbound-default", inbound,
                                                "--outbound-default", "accept",
                                                "--stateful", "true"]))
            elif d.name == "scaleway-without-rules":
                continue  # refused by design (tests/scaleway.rs)
            else:
                out.append((d.name, f, []))
    return out


class Run:
    def __init__(self, sgconv: str, out: Path):
        self.sgconv, self.out = sgconv, out
        self.passed = self.failed = 0
        self.outcomes: dict[str, int] = {}

    def result(self, label: str, errors: list[str]):
        if errors:
            self.failed += 1
            print(f"FAIL {label}")
            for e in errors[:12]:
                print(f"       {e}")
            if len(errors) > 12:
                print(f"       ... {len(errors) - 12} more")
        else:
            self.passed += 1

    def convert(self, source: str, target: str, path: Path, args: list[str]):
        cmd = [self.sgconv, "convert", "--from", source, "--to", target, str(path), "-q", *args]
        return subprocess.run(cmd, capture_output=True, text=True)

    def exports(self, fixtures: Path, targets: list[str]):
        variants = [(t, []) for t in targets]
        variants += [(t, ["--shape", shape]) for t in targets for shape in SHAPES.get(t, [])]
        for source, path, flags in sources(fixtures):
            for target, shape in variants:
                args = flags + shape + (["--target-group", TARGET_GROUP] if target in NAMES_GROUP else [])
                label = f"{source}__{path.stem}" + "".join(f"__{s}" for s in shape[1:])
                if flags:
                    label += f"__in-{flags[1]}_out-{flags[3]}"
                done = self.convert(source, target, path, args)
                if done.returncode == 1 and "one target group id" in done.stderr:
                    # several groups: one target id per source group id
                    read = self.convert(source, "canonical", path, flags + ["--format", "json"])
                    ids = [g.get("id") for g in json.loads(read.stdout)["groups"]]
                    args = flags + shape + [a for i, gid in enumerate(ids) if gid
                                    for a in ("--target-group", f"{gid}={TARGET_GROUP[:-2]}{i:02}")]
                    done = self.convert(source, target, path, args)
                if done.returncode == 3:  # refused; if only for widening, check what --allow-widen writes
                    done = self.convert(source, target, path, args + ["--allow-widen"])
                    label += "__allow-widen"
                if done.returncode != 0:
                    reason = (done.stderr.strip().splitlines() or [""])[-1]
                    if done.returncode != 3:  # every fixture must convert or be refused
                        self.result(f"convert {target} {label}", [f"exit {done.returncode}: {reason}"])
                        continue
                    reason = reason.removeprefix("sgconv: error: ").split(",")[0][:90]
                    self.count(f"exit 3: {reason}")
                    continue
                self.count("exported" + (" with --allow-widen" if "widen" in label else ""))
                file = self.out / "exports" / target / f"{label}.json"
                file.parent.mkdir(parents=True, exist_ok=True)
                file.write_text(done.stdout)
                try:
                    errors = validate_document(target, json.loads(done.stdout))
                except json.JSONDecodeError as e:
                    errors = [f"not JSON: {e}"]
                self.result(f"export {target} {file.name}", errors)

    def count(self, why: str):
        self.outcomes[why] = self.outcomes.get(why, 0) + 1

    def imports(self):
        samples = []
        for label, provider, text in (check_gcore.sdk_documents() + check_huawei.sdk_documents()
                                      + check_aws_ec2.sdk_documents()
                                      + check_openstack.sdk_documents()
                                      + check_azure_nsg.sdk_documents()):
            samples.append((label, provider, text, []))
        samples += check_scaleway.sdk_documents()
        for i, (label, provider, text, args) in enumerate(samples):
            file = self.out / "sdk-written" / f"{i:02}_{provider}.json"
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_text(text)
            done = self.convert(provider, "canonical", file, args)
            errors = [] if done.returncode == 0 else [done.stderr.strip()]
            try:
                if not errors and not json.loads(done.stdout)["groups"]:
                    errors = ["imported no group"]
            except (json.JSONDecodeError, KeyError, TypeError) as e:
                errors = [f"canonical output unreadable: {e!r}"]
            self.result(f"import {provider} {file.name} ({label})", errors)

    def negatives(self):
        for module in (check_gcore, check_huawei, check_scaleway, check_aws_ec2, check_openstack,
                       check_azure_nsg):
            for target, label, doc in module.NEGATIVES:
                rejected = validate_document(target, doc)
                self.result(f"negative {target} {label}",
                            [] if rejected else ["accepted a broken document"])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sgconv", required=True)
    ap.add_argument("--fixtures", required=True, type=Path)
    ap.add_argument("--out", required=True, type=Path)
    a = ap.parse_args()
    run = Run(a.sgconv, a.out)
    listed = json.loads(subprocess.run([a.sgconv, "providers", "--json"], check=True,
                                       capture_output=True, text=True).stdout)
    names = [p["name"] for p in listed]
    run.result("every provider has a validator",
               [f"no validator for target {n}" for n in names if n not in VALIDATED | UNCHECKED])
    run.exports(a.fixtures, [n for n in names if n in VALIDATED])
    run.imports()
    run.negatives()
    for why, n in sorted(run.outcomes.items()):
        print(f"outcomes: {n} x {why}")
    print(f"documents under {a.out}")
    print(f"{run.passed} passed, {run.failed} failed")
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())
