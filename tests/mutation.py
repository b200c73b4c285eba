"""`make mutation`: how many changes to the pure clinical core the fast pure tests notice.

Two kinds of mutant, one table:

- mutmut (3.x, configured in pyproject.toml's [tool.mutmut]) mutates the code inside functions:
  operators, comparisons, literals, arguments, strings. Its results are read from mutants/*.meta.
- mutmut leaves module-level values alone (tables, thresholds, dataclass defaults), so this module
  mutates each number there itself: +1, −1, ×1.1, ×0.9, each in a copy of the core, and runs the
  same pure tests against it.

Equivalent mutants (no input can tell them apart from the original) are listed once in
pyproject.toml's [tool.mutation.equivalent], each with its one-line proof; the report gives the raw
score and the score without them, per module, and exits 1 when a module is under the bar.

    python -m tests.mutation            # run mutmut from scratch, then the constants, then report
    python -m tests.mutation --report   # report from the last runs, without running anything
"""

import argparse
import ast
import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORE = ROOT / "planner" / "core"
ARTIFACTS = ROOT / "test-artifacts"
CONSTANT_RESULTS = ARTIFACTS / "mutation-constants.json"
BAR = 0.90


def _config() -> dict:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)


def _pytest_args(config: dict) -> list[str]:
    mutmut = config["tool"]["mutmut"]
    return [*mutmut["pytest_add_cli_args"], *mutmut["pytest_add_cli_args_test_selection"]]


# --- mutmut ------------------------------------------------------------------------------------


def run_mutmut(workers: int) -> None:
    shutil.rmtree(ROOT / "mutants", ignore_errors=True)
    subprocess.run(
        [sys.executable, "-m", "mutmut", "run", "--max-children", str(workers)],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def mutmut_results() -> dict[str, dict[str, str]]:
    """{module: {mutant name: killed | survived | untested}} from mutmut's meta files."""
    found: dict[str, dict[str, str]] = defaultdict(dict)
    for meta in sorted((ROOT / "mutants" / "planner" / "core").glob("*.py.meta")):
        module = meta.name.removesuffix(".py.meta")
        for name, code in json.loads(meta.read_text())["exit_code_by_key"].items():
            # mutmut: 1 a test failed (killed), 0 all passed (survived), 33 no test reaches the code.
            found[module][name] = {0: "survived", 33: "untested", None: "untested"}.get(code, "killed")
    return found


# --- constants ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConstantMutant:
    module: str
    line: int
    column: int
    end_column: int
    original: str
    replacement: str
    variant: str

    @property
    def name(self) -> str:
        return f"{self.module}:{self.line}:{self.column}:{self.variant}"


def _in_functions(tree: ast.AST) -> set[int]:
    """ids of the nodes inside function bodies (mutmut's territory)."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            for child in ast.walk(node):
                inside.add(id(child))
    return inside


def _variants(value: float) -> dict[str, float]:
    found = {"+1": value + 1, "-1": value - 1, "x1.1": value * 1.1, "x0.9": value * 0.9}
    return {name: new for name, new in found.items() if new != value}


def _spell(value: float, like_int: bool) -> str:
    if like_int and float(value).is_integer():
        return str(int(value))
    return repr(float(value))


def constant_mutants(path: Path) -> list[ConstantMutant]:
    """Each number outside function bodies, as a literal or a Decimal("…") string, with its variants."""
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    inside = _in_functions(tree)
    module = path.stem
    found = []
    for node in ast.walk(tree):
        if id(node) in inside or not isinstance(node, ast.Constant):
            continue
        value = node.value
        if isinstance(value, bool):
            continue
        if isinstance(value, int | float):
            number, quoted = float(value), False
        elif isinstance(value, str) and _is_decimal_argument(tree, node):
            number, quoted = float(value), True
        else:
            continue
        like_int = isinstance(value, int) or (quoted and "." not in value)
        for variant, new in _variants(number).items():
            spelled = _spell(new, like_int and variant in ("+1", "-1"))
            found.append(
                ConstantMutant(
                    module=module,
                    line=node.lineno,
                    column=node.col_offset,
                    end_column=node.end_col_offset,
                    original=ast.get_source_segment(source, node) or "",
                    replacement=f'"{spelled}"' if quoted else spelled,
                    variant=variant,
                )
            )
    return found


def _is_decimal_argument(tree: ast.AST, node: ast.Constant) -> bool:
    for call in ast.walk(tree):
        if (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Name)
            and call.func.id == "Decimal"
            and node in call.args
        ):
            try:
                float(node.value)
            except ValueError:
                return False
            return True
    return False


def _apply(source: str, mutant: ConstantMutant) -> str:
    # ast's columns count UTF-8 bytes, not characters ("·" and "×" appear in this code's lines).
    lines = source.splitlines(keepends=True)
    line = lines[mutant.line - 1].encode()
    replaced = line[: mutant.column] + mutant.replacement.encode() + line[mutant.end_column :]
    lines[mutant.line - 1] = replaced.decode()
    return "".join(lines)


def _sandbox(config: dict) -> Path:
    """A copy of the core and the pure tests, to mutate without touching the working tree."""
    where = Path(tempfile.mkdtemp(prefix="planner-constants-"))
    (where / "planner").mkdir()
    shutil.copy2(ROOT / "planner" / "__init__.py", where / "planner" / "__init__.py")
    shutil.copytree(CORE, where / "planner" / "core", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "tests", where / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "pyproject.toml", where / "pyproject.toml")
    return where


def _killed(sandbox: Path, mutant: ConstantMutant, args: list[str]) -> bool:
    target = sandbox / "planner" / "core" / f"{mutant.module}.py"
    original = (CORE / f"{mutant.module}.py").read_text(encoding="utf-8")
    target.write_text(_apply(original, mutant), encoding="utf-8")
    try:
        result = subprocess.run(
            [sys.executable, "-m", "pytest", *args],
            cwd=sandbox,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=300,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return True
    finally:
        target.write_text(original, encoding="utf-8")
    return result.returncode != 0


def run_constants(workers: int, only: list[str] | None = None) -> dict[str, dict[str, str]]:
    config = _config()
    args = _pytest_args(config)
    paths = [path for path in sorted(CORE.glob("*.py")) if not only or path.stem in only]
    mutants = [mutant for path in paths for mutant in constant_mutants(path)]
    sandboxes = [_sandbox(config) for _ in range(workers)]
    try:

        def judge(index_and_mutant: tuple[int, ConstantMutant]) -> tuple[ConstantMutant, bool]:
            index, mutant = index_and_mutant
            return mutant, _killed(sandboxes[index % workers], mutant, args)

        # One sandbox per worker, each mutant to the sandbox of its index: no two runs share a copy.
        results: dict[str, dict[str, str]] = defaultdict(dict)
        for start in range(0, len(mutants), workers):
            batch = list(enumerate(mutants[start : start + workers]))
            with ThreadPoolExecutor(max_workers=workers) as pool:
                for mutant, killed in pool.map(judge, batch):
                    results[mutant.module][mutant.name] = "killed" if killed else "survived"
    finally:
        for sandbox in sandboxes:
            shutil.rmtree(sandbox, ignore_errors=True)
    if only and CONSTANT_RESULTS.exists():
        # A partial run (--only) updates those modules and keeps the others' last results.
        results = {**json.loads(CONSTANT_RESULTS.read_text()), **results}
    ARTIFACTS.mkdir(exist_ok=True)
    CONSTANT_RESULTS.write_text(json.dumps(results, indent=1, sort_keys=True), encoding="utf-8")
    return results


# --- the report --------------------------------------------------------------------------------


def report(mutmut: dict[str, dict[str, str]], constants: dict[str, dict[str, str]], equivalent: dict) -> bool:
    lines = [
        f"{'module':<16}{'mutants':>8}{'killed':>8}{'survived':>9}{'untested':>9}{'raw':>8}"
        f"{'equiv.':>8}{'score':>8}   (constants: killed/all)"
    ]
    ok = True
    modules = sorted(set(mutmut) | set(constants))
    totals: Counter = Counter()
    for module in modules:
        every = {**mutmut.get(module, {}), **constants.get(module, {})}
        counts = Counter(every.values())
        counts["equivalent"] = sum(1 for name, state in every.items() if name in equivalent and state != "killed")
        generated = len(every)
        if not generated:
            continue
        raw = counts["killed"] / generated
        judged = generated - counts["equivalent"]
        score = counts["killed"] / judged if judged else 1.0
        constant_states = Counter(constants.get(module, {}).values())
        lines.append(
            f"{module:<16}{generated:>8}{counts['killed']:>8}{counts['survived']:>9}{counts['untested']:>9}"
            f"{raw:>8.1%}{counts['equivalent']:>8}{score:>8.1%}   "
            f"({constant_states['killed']}/{sum(constant_states.values())})"
            + ("" if score >= BAR else "   UNDER THE BAR")
        )
        ok = ok and score >= BAR
        totals.update({**counts, "generated": generated})
    judged = totals["generated"] - totals["equivalent"]
    lines.append(
        f"{'all':<16}{totals['generated']:>8}{totals['killed']:>8}{totals['survived']:>9}{totals['untested']:>9}"
        f"{totals['killed'] / max(totals['generated'], 1):>8.1%}{totals['equivalent']:>8}"
        f"{totals['killed'] / max(judged, 1):>8.1%}"
    )
    survivors = sorted(
        name
        for table in (mutmut, constants)
        for states in table.values()
        for name, state in states.items()
        if state != "killed" and name not in equivalent
    )
    lines += ["", f"Survivors not listed as equivalent ({len(survivors)}):", *(f"  {name}" for name in survivors)]
    text = "\n".join(lines)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "mutation.txt").write_text(text + "\n", encoding="utf-8")
    print(text)
    print(f"\nWritten to {ARTIFACTS / 'mutation.txt'}; the bar is {BAR:.0%} on every module.")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--report", action="store_true", help="only report the last runs")
    parser.add_argument("--constants", action="store_true", help="run only the constant mutants, then report")
    parser.add_argument("--only", nargs="*", help="with --constants: only these modules (e.g. kinetics limits)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    options = parser.parse_args()
    if options.constants:
        run_constants(options.workers, options.only)
    elif not options.report:
        run_mutmut(options.workers)
        run_constants(options.workers)
    constants = json.loads(CONSTANT_RESULTS.read_text()) if CONSTANT_RESULTS.exists() else {}
    equivalent = _config().get("tool", {}).get("mutation", {}).get("equivalent", {})
    sys.exit(0 if report(mutmut_results(), constants, equivalent) else 1)


if __name__ == "__main__":
    main()
