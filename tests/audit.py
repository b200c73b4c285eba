"""`make audit`: known vulnerabilities in the pinned requirements, and bandit over the code.

pip-audit asks an advisory database (PyPI's JSON API, or OSV) about every pinned package. A
machine that cannot reach one gets "could not be audited" for each package, which pip-audit
reports beside "No known vulnerabilities found": this script says plainly that nothing was
checked instead. bandit must be clean; each exception in the code is a `# nosec` with its
reason on the line above.

Exit status: 0 clean, 1 a vulnerability or a bandit finding, 2 the advisory data was unreachable.
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def vulnerabilities() -> int:
    result = subprocess.run(
        [
            str(BIN / "pip-audit"),
            *("-r", "requirements.txt", "-r", "requirements-dev.txt"),
            *("--format", "json", "--progress-spinner", "off"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        print("pip-audit could not run or reach its advisory data:", file=sys.stderr)
        print((result.stderr.strip().splitlines() or ["(no message)"])[-1], file=sys.stderr)
        return 2
    packages = report.get("dependencies", [])
    skipped = [p for p in packages if p.get("skip_reason")]
    found = [
        (p["name"], p["version"], v["id"], v.get("fix_versions", [])) for p in packages for v in p.get("vulns", [])
    ]
    audited = len(packages) - len(skipped)
    if not audited:
        print(
            f"pip-audit: none of the {len(packages)} pinned packages could be audited "
            f"({skipped[0]['skip_reason'] if skipped else 'no advisory data'}). "
            "Nothing is known either way: run make audit where pypi.org or api.osv.dev can be reached."
        )
        return 2
    for name, version, advisory, fixes in found:
        print(f"VULNERABLE {name} {version}: {advisory}; fixed in {', '.join(fixes) or 'no release yet'}")
    print(f"pip-audit: {audited} packages audited, {len(skipped)} could not be, {len(found)} known vulnerabilities.")
    return 1 if found else 0


def static_check() -> int:
    result = subprocess.run(
        [str(BIN / "bandit"), "-q", "-r", "planner", "-x", "planner/migrations", "-f", "txt"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        print(result.stdout)
        print("bandit: findings above (fix them, or justify each with `# nosec <test>` and its reason).")
        return 1
    print("bandit: no findings in planner/ (exceptions are marked # nosec, each with its reason).")
    return 0


def main() -> None:
    statuses = [vulnerabilities(), static_check()]
    sys.exit(1 if 1 in statuses else max(statuses))


if __name__ == "__main__":
    main()
