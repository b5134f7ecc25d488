"""cnfiscal's command line: `cnfiscal run [SOURCE ...] [--manifest FILE] [--out DIR]`, and
`cnfiscal query SQL` / `cnfiscal show FIGURE_ID` on the published DuckDB file."""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from flows.metadata import PROJECT_ROOT
from flows.publish import DUCKDB_NAME
from flows.query import FORMATS, QueryError, figure_record, format_figure, run_query

SAMPLES = PROJECT_ROOT / "samples"
DEFAULT_OUT = Path("dist/cnfiscal")
PREFECT_DEFAULTS = {
    # Offline machines: no telemetry, and a patient start for the temporary local server.
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    "PREFECT_LOGGING_LEVEL": "CRITICAL",  # failures are reported by cnfiscal itself; --verbose shows all
}
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _run_options(parser: argparse.ArgumentParser) -> None:
    """The options of a run, shared by run and serve."""
    parser.add_argument("sources", nargs="*", metavar="SOURCE",
                     help="a .txt/.pdf/.html file or a folder (its sources.csv is read as the "
                          f"manifest); default: the bundled samples in {SAMPLES}")
    parser.add_argument("--manifest", type=Path, metavar="FILE",
                     help="a sources.csv whose paths are relative to its own folder")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, metavar="DIR",
                     help=f"where the package is published (default: {DEFAULT_OUT})")
    parser.add_argument("--raw-store", type=Path, metavar="DIR",
                     help="where every input's bytes are kept by sha256, with where and when "
                          "they came from (default: raw-store beside --out)")
    parser.add_argument("--max-bytes", type=int, default=50_000_000, metavar="N",
                     help="refuse sources larger than this (default: 50000000)")
    parser.add_argument("--fetch-timeout", type=float, default=30.0, metavar="SECONDS",
                     help="give up on a URL that does not answer within this (default: 30)")
    parser.add_argument("--fetch-retries", type=int, default=3, metavar="N",
                     help="retry failed fetches this many times, backing off (default: 3)")
    parser.add_argument("--release", type=Path, metavar="DIR", dest="releases",
                     help="after publishing, also write an immutable release into DIR "
                          "(DIR/YYYY.MM.DD with diff.json and CHANGELOG.md; DIR/latest points at it)")
    parser.add_argument("--cache", type=Path, metavar="DIR",
                     help="per-document results by content and code version, so reruns redo "
                          "only what changed (default: cache beside --out)")
    parser.add_argument("--workers", type=int, default=1, metavar="N",
                     help="process batches of documents in N local processes (default: 1)")
    parser.add_argument("--dask-address", metavar="tcp://HOST:PORT",
                     help="process batches on an existing Dask cluster (needs prefect-dask)")
    parser.add_argument("--verbose", action="store_true", help="show Prefect's logs")


def _database_options(parser: argparse.ArgumentParser) -> None:
    """Which published DuckDB file to read, shared by query and show."""
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--db", type=Path, metavar="PATH", help="a DuckDB file")
    where.add_argument("--out", type=Path, default=DEFAULT_OUT, metavar="DIR",
                       help=f"a published package; its {DUCKDB_NAME} is read (default: {DEFAULT_OUT})")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cnfiscal",
        description="Turn Chinese public-finance texts into a validated, citable data package "
                    "of fiscal figures (Frictionless CSV + Parquet, and a DuckDB file).")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = commands.add_parser(
        "run", help="run the pipeline and publish the package",
        description="Run extract → clean → normalise → validate → load → publish as a Prefect "
                    "flow in local mode, and publish the package to --out only if it validates. "
                    "Exit status: 0 published, 1 run failed (nothing published), 2 usage error.")
    _run_options(run)

    serve = commands.add_parser(
        "serve", help="serve the pipeline as a scheduled Prefect deployment",
        description="Serve the flow as the Prefect deployment cnfiscal-run/cnfiscal on a cron "
                    "schedule, with the given run options. Scheduling needs a Prefect server: set "
                    "PREFECT_API_URL (e.g. http://127.0.0.1:4200/api after `prefect server start`). "
                    "Stop it with SIGTERM or Ctrl-C.")
    serve.add_argument("--cron", required=True, metavar="EXPR", help='e.g. "0 6 * * *" (06:00 daily)')
    _run_options(serve)

    check = commands.add_parser(
        "validate", help="re-validate a published package",
        description="Re-validate a published package: the descriptor, every file's bytes and "
                    "sha256, types, keys, and the provenance of every figure. Exit status: 0 "
                    "valid, 1 invalid (the failures are named), 2 usage error.")
    check.add_argument("package", type=Path, metavar="DIR", help="the folder with datapackage.json")

    rel = commands.add_parser(
        "release", help="release a published package",
        description="Copy a published, re-validated package into an immutable, versioned release "
                    "(CalVer YYYY.MM.DD, .2 for a second release the same day) with diff.json and "
                    "a CHANGELOG.md entry against the previous release, and point DIR/latest at it.")
    rel.add_argument("--out", type=Path, required=True, metavar="DIR", help="the releases folder")
    rel.add_argument("--package", type=Path, default=DEFAULT_OUT, metavar="PKG",
                     help=f"the published package to release (default: {DEFAULT_OUT})")

    query = commands.add_parser(
        "query", help="run SQL on the published DuckDB file (read-only)",
        description="Run SQL on the published DuckDB file, opened read-only: statements that would "
                    "change it are refused (CREATE TEMP TABLE/VIEW work for scratch). Prints the "
                    "last statement's result. Exit status: 0 ok, 1 SQL error or refused write, "
                    "2 usage error.")
    query.add_argument("sql", metavar="SQL",
                       help='e.g. "FROM indicator_series LIMIT 5"; - reads the SQL from standard input')
    query.add_argument("--format", choices=list(FORMATS), default="table",
                       help="table: aligned for a terminal (CJK characters count as two columns); "
                            "csv: RFC 4180 with a header row, as the package's CSVs write values; "
                            "json: a list of objects, dates as ISO 8601 (default: table)")
    _database_options(query)

    show = commands.add_parser(
        "show", help="show one figure with its attributes, sentence and source",
        description="Print a figure: its value, indicator (with labels), region (with name), "
                    "period, phase and flags; its sentence with the number marked (bold reverse "
                    "on a terminal, «» otherwise or when NO_COLOR is set); its page and source. "
                    "Exit status: 0 ok, 1 no such figure, 2 usage error.")
    show.add_argument("figure_id", metavar="FIGURE_ID", help="a figures.figure_id")
    _database_options(show)
    return parser


def _database(args: argparse.Namespace) -> Path:
    return args.db or args.out / DUCKDB_NAME


def _usage_problem(args: argparse.Namespace) -> str | None:
    if args.command == "validate":
        return None if (args.package / "datapackage.json").is_file() else \
            f"{args.package} holds no datapackage.json"
    if args.command == "release":
        return None if (args.package / "datapackage.json").is_file() else \
            f"--package {args.package} holds no datapackage.json"
    if args.command in ("query", "show"):
        return None if _database(args).is_file() else \
            f"{_database(args)} does not exist; publish a package with cnfiscal run, or pass --db or --out"
    for source in args.sources:
        if not Path(source).exists():
            return f"SOURCE {source} does not exist"
    if args.manifest and not args.manifest.is_file():
        return f"--manifest {args.manifest} is not a file"
    if args.out.exists() and not args.out.is_dir():
        return f"--out {args.out} exists and is not a folder"
    if args.max_bytes < 1 or args.fetch_timeout <= 0 or args.fetch_retries < 0 or args.workers < 1:
        return ("--max-bytes, --fetch-timeout and --workers must be positive, "
                "--fetch-retries at least 0")
    return None


def _prefect_settings(args: argparse.Namespace) -> None:
    """Set Prefect's defaults before it is first imported (it reads them at import)."""
    for key, value in PREFECT_DEFAULTS.items():
        if not (args.verbose and key == "PREFECT_LOGGING_LEVEL"):
            os.environ.setdefault(key, value)


def _flow_parameters(args: argparse.Namespace) -> dict:
    """The flow's parameters from the run options, with absolute paths."""
    def absolute(path: Path | None) -> str | None:
        return os.path.abspath(path) if path else None  # --out may be a symlink: keep it
    inputs = [os.path.abspath(s) for s in args.sources]
    if not inputs and not args.manifest:
        inputs = [str(SAMPLES)]
    return {"inputs": inputs, "out": absolute(args.out), "manifest": absolute(args.manifest),
            "raw_store": absolute(args.raw_store), "max_bytes": args.max_bytes,
            "fetch_timeout": args.fetch_timeout, "fetch_retries": args.fetch_retries,
            "releases": absolute(args.releases), "cache": absolute(args.cache),
            # On a Dask cluster, its workers do the batches: no local worker processes.
            "local_workers": 1 if args.dask_address else args.workers}


def serve_command(args: argparse.Namespace) -> int:
    _prefect_settings(args)
    from flows.pipeline import configured

    configured(args.workers, args.dask_address).serve(
        name="cnfiscal", cron=args.cron, parameters=_flow_parameters(args))
    return EXIT_OK


def run_command(args: argparse.Namespace) -> int:
    _prefect_settings(args)
    from flows import preflight

    parameters = _flow_parameters(args)
    out = Path(parameters["out"])
    started = time.monotonic()
    try:
        summary = preflight.current_package_summary(
            parameters["inputs"], parameters["out"], parameters["manifest"],
            parameters["raw_store"], parameters["max_bytes"])
        if summary is None:  # something changed: start Prefect and run the flow
            from flows.pipeline import configured
            summary = configured(args.workers, args.dask_address)(**parameters)
    except Exception as exc:  # any failure: report it, publish nothing
        kept = f"the previous package in {out} is untouched" if out.exists() else "nothing was published"
        print(f"cnfiscal run failed: {exc}\n{kept}", file=sys.stderr)
        return EXIT_FAILED
    elapsed = time.monotonic() - started
    print(f"cnfiscal run: {summary['documents']} documents, {summary['figures']} figures, "
          f"{summary['rejections']} rejections in {elapsed:.1f} s "
          f"({summary['processed']} processed, {summary['cached']} from cache"
          f"{'; nothing changed, the published package stands' if summary.get('unchanged') else ''})\n"
          f"package: {summary['package']}\n"
          f"duckdb:  {summary['duckdb']}")
    if summary["release"]:
        print(f"release: {summary['release']}")
    return EXIT_OK


def validate_command(args: argparse.Namespace) -> int:
    from flows.records import PipelineError
    from flows.validate import validate_package

    try:
        report = validate_package(args.package, None)
    except PipelineError as exc:
        print(f"cnfiscal validate: {args.package} is INVALID\n{exc}", file=sys.stderr)
        return EXIT_FAILED
    rows = report["summary"]["rows"]
    print(f"cnfiscal validate: {args.package} is valid ({rows['documents']} documents, "
          f"{rows['figures']} figures; every file matches its sha256)")
    return EXIT_OK


def release_command(args: argparse.Namespace) -> int:
    import datetime as dt

    from flows.records import PipelineError
    from flows.release import make_release

    try:
        released = make_release(args.package, args.out, dt.datetime.now(dt.timezone.utc).date())
    except PipelineError as exc:
        print(f"cnfiscal release failed: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(f"release: {released}\nlatest:  {args.out / 'latest'} -> {released.name}")
    return EXIT_OK


def query_command(args: argparse.Namespace) -> int:
    sql = sys.stdin.read() if args.sql == "-" else args.sql
    try:
        columns, rows = run_query(_database(args), sql)
    except QueryError as exc:
        print(f"cnfiscal query: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if columns:
        sys.stdout.write(FORMATS[args.format](columns, rows))
    return EXIT_OK


def show_command(args: argparse.Namespace) -> int:
    try:
        record = figure_record(_database(args), args.figure_id)
    except QueryError as exc:
        print(f"cnfiscal show: {exc}", file=sys.stderr)
        return EXIT_FAILED
    sys.stdout.write(format_figure(record, tty=sys.stdout.isatty() and not os.environ.get("NO_COLOR")))
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    problem = _usage_problem(args)
    if problem:
        parser.exit(EXIT_USAGE, f"cnfiscal {args.command}: error: {problem}\n")
    commands = {"run": run_command, "serve": serve_command, "validate": validate_command,
                "release": release_command, "query": query_command, "show": show_command}
    return commands[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
