"""`make bench`: the requestor's costs, the handlers' cold starts, synth time and
asset sizes, each a median over repeated runs, printed as a table beside its target
and whether the target was met.

Writes only under .bench/ (ignored by git). The local gateway double runs in a
process of its own, so that it does not share the interpreter with the client.
"""

from __future__ import annotations

import functools
import json
import multiprocessing
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import time
import timeit
import zipfile
from collections.abc import Callable
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

from lambda_src.requestor import events, identity_token, signing, transport
from lambda_src.requestor.credentials import Credentials
from lambda_src.requestor.settings import Target

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / ".bench"
CREDENTIALS = Credentials(
    "ASIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "IQoJb3JpZ2luX2VjEXAMPLETOKEN" * 8
)
URL = "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/prod/orders"
WARM_CALLS = 2000
COLD_RUNS = 21
SYNTH_RUNS = 5
# A row: what was measured, the median, the target or a note, and whether the target
# was met (None: a floor or a breakdown, which has no target).
Row = tuple[str, str, str, bool | None]


def main() -> int:
    OUT.mkdir(exist_ok=True)
    rows: list[Row] = []
    rows += signing_cost()
    rows += identity_tokens()
    port, stop = start_gateway_double()
    try:
        rows += warm_calls(port)
        rows += cold_starts(port)
    finally:
        stop()
    rows += synth_times()
    rows += synth_breakdown()
    rows += synth_by_client_accounts()
    rows += synth_with_the_pipeline()
    rows += asset_sizes()
    width = max(len(name) for name, _, _, _ in rows)
    print(f"{'measurement':<{width}}  {'median':>12}  {'':6}  target")
    for name, value, target, met in rows:
        verdict = "" if met is None else "met" if met else "MISSED"
        print(f"{name:<{width}}  {value:>12}  {verdict:6}  {target}")
    missed = [name for name, _, _, met in rows if met is False]
    print(f"\ntargets missed: {', '.join(missed)}" if missed else "\nall targets met")
    return 0


def signing_cost() -> list[Row]:
    def sign(method: str, body: bytes | None) -> Callable[[], None]:
        def once() -> None:
            request = AWSRequest(method=method, url=URL, data=body, headers={"Content-Type": "application/json"})
            SigV4Auth(CREDENTIALS, "execute-api", "eu-west-1").add_auth(request)

        return once

    rows = []
    for name, method, body in (("GET", "GET", None), ("POST, 1 KB body", "POST", b"x" * 1024)):
        per_call = statistics.median(t / 1000 for t in timeit.repeat(sign(method, body), number=1000, repeat=15))
        rows.append((f"sign {name}", f"{per_call * 1e6:.0f} us", "<= 150 us", per_call <= 150e-6))
    return rows


def identity_tokens() -> list[Row]:
    """lambda-authorizer mode: the requestor minting its token (a presigned STS URL),
    reusing it, and the authorizer's decision when STS answers at once (its own cost:
    checking the token, reading STS's answer, the policy)."""
    import os

    from lambda_src.authorizer import handler as authorizer

    target = Target(base_url=URL.rsplit("/", 1)[0], region="eu-west-1", token_api_id="a1b2c3d4e5")

    def mint() -> None:
        identity_token._tokens.clear()
        identity_token.token_for(CREDENTIALS, target)

    def reuse() -> None:
        identity_token.token_for(CREDENTIALS, target)

    answer = (
        '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>'
        "<Arn>arn:aws:sts::444455556666:assumed-role/orders-api-requestor-prod-eu-west-1/fn</Arn>"
        "<Account>444455556666</Account></GetCallerIdentityResult></GetCallerIdentityResponse>"
    ).encode()

    class InstantSts:
        def request(self, *args: Any, **kwargs: Any) -> Any:
            return type("Answer", (), {"status": 200, "data": answer})()

    class InstantSsm:  # the deny list, as SSM answers it (read once a minute in Lambda)
        def get_parameter(self, Name: str) -> dict[str, Any]:  # noqa: N803 (boto3's argument name)
            return {"Parameter": {"Name": Name, "Value": '["777788889999"]'}}

    os.environ.update(
        API_ID="a1b2c3d4e5", API_ACCOUNT="111122223333", API_REGION="eu-west-1", STAGE="prod", PARTITION="aws",
        PARTITION_DOMAIN="amazonaws.com",
        ADMITTED_PRINCIPALS='["arn:aws:iam::444455556666:role/orders-api-requestor-prod-eu-west-1"]',
        DENIED_PARAMETER="/orders-api/prod/denied-principals",
    )
    authorizer.HTTP = InstantSts()
    authorizer._ssm = InstantSsm()
    token = identity_token.token_for(CREDENTIALS, target).value
    event = {"type": "TOKEN", "authorizationToken": token, "methodArn": "arn:aws:execute-api:eu-west-1:1:a/prod/GET/"}

    def decide() -> None:
        authorizer.handler(event, None)

    def median(once: Callable[[], None]) -> float:
        return statistics.median(t / 1000 for t in timeit.repeat(once, number=1000, repeat=15))

    minting, reusing, deciding = median(mint), median(reuse), median(decide)
    return [
        ("mint identity token (presign GetCallerIdentity)", f"{minting * 1e6:.0f} us", "<= 300 us", minting <= 300e-6),
        ("reuse identity token", f"{reusing * 1e6:.1f} us", "<= 5 us (free)", reusing <= 5e-6),
        ("authorizer decision, STS answering at once", f"{deciding * 1e6:.0f} us", "", None),
    ]


def _serve(connection: Any) -> None:
    from lambda_src.api.handler import handler as backend
    from tests.gateway_double import Caller, GatewayDouble

    caller = Caller(CREDENTIALS.access_key, CREDENTIALS.secret_key, CREDENTIALS.token, "444455556666", "arn:aws:sts::b")
    # Server-side verification is API Gateway's cost, not the requestor's: the double
    # skips it, so signed and unsigned calls differ only by what the client does.
    with GatewayDouble("eu-west-1", "prod", [caller], backend, verify_signatures=False) as double:
        connection.send(double._server.server_port)
        connection.recv()


def start_gateway_double() -> tuple[int, Callable[[], None]]:
    parent, child = multiprocessing.get_context("fork").Pipe()
    process = multiprocessing.get_context("fork").Process(target=_serve, args=(child,), daemon=True)
    process.start()
    port = parent.recv()

    def stop() -> None:
        parent.send("stop")
        process.join(timeout=10)

    return port, stop


def warm_calls(port: int) -> list[Row]:
    target = Target(base_url=f"http://127.0.0.1:{port}/prod", region="eu-west-1")
    request, _ = events.parse_event({"path": "/orders/123", "query": {"view": "full"}})
    # What the handler passes for a signed call.
    sign = functools.partial(signing.sign, CREDENTIALS, target.region)

    def measure(authorize: transport.Authorize | None, new_connection: bool) -> list[float]:
        latencies = []
        for call in range(WARM_CALLS + 50):
            if new_connection:
                transport.HTTP.clear()
            started = time.perf_counter()
            result = transport.call_api(request, target, authorize, time.monotonic() + 10)
            if call >= 50:  # the first calls warm the pool and the caches
                latencies.append(time.perf_counter() - started)
            assert result["statusCode"] == 200, result
        return latencies

    unsigned = measure(None, new_connection=False)
    signed = measure(sign, new_connection=False)
    fresh = measure(sign, new_connection=True)
    baseline = statistics.median(unsigned)
    rows = []
    for name, latencies in (
        ("warm call, unsigned, kept-alive (baseline)", unsigned),
        ("warm call, signed, kept-alive", signed),
        ("warm call, signed, new connection each", fresh),
    ):
        median = statistics.median(latencies)
        rows.append((name, f"{median * 1e3:.3f} ms", f"{len(latencies) / sum(latencies):,.0f} calls/s", None))
    extra = statistics.median(signed) - baseline
    rows.append(("signed minus unsigned, kept-alive", f"{extra * 1e3:.3f} ms", "<= 0.3 ms", extra <= 0.3e-3))
    return rows + client_cpu(request, target, sign)


def client_cpu(request: events.ApiRequest, target: Target, sign: transport.Authorize) -> list[Row]:
    """The client's own CPU time per call (time.process_time: this process, which runs
    no other thread; the double runs in its own): unsigned and signed calls, and a whole
    signed invocation through handler.handler (what Lambda runs: the environment read,
    the event checked, the credentials, the signature), alternating over the same
    kept-alive connection, so that drift hits all alike."""
    from lambda_src.requestor import handler

    environment = {
        "API_URL": target.base_url,
        "API_REGION": target.region,
        "AWS_ACCESS_KEY_ID": CREDENTIALS.access_key,
        "AWS_SECRET_ACCESS_KEY": CREDENTIALS.secret_key,
        "AWS_SESSION_TOKEN": CREDENTIALS.token,
    }
    saved = {name: os.environ.get(name) for name in environment}
    os.environ.update(environment)
    event = {"path": request.path, "query": {"view": "full"}}
    calls = {
        "unsigned": lambda: transport.call_api(request, target, None, time.monotonic() + 10),
        "signed": lambda: transport.call_api(request, target, sign, time.monotonic() + 10),
        "handler": lambda: handler.handler(event, None),
    }
    cpu: dict[str, list[float]] = {name: [] for name in calls}
    try:
        for call in range(WARM_CALLS + 50):
            for name, once in calls.items():
                started = time.process_time()
                result = once()
                if call >= 50:
                    cpu[name].append(time.process_time() - started)
                assert result["statusCode"] == 200, result
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    unsigned, signed, invocation = (statistics.median(cpu[name]) for name in calls)
    return [
        ("client CPU per call, unsigned, kept-alive", f"{unsigned * 1e3:.3f} ms", "", None),
        (
            "client CPU per call, signed, kept-alive",
            f"{signed * 1e3:.3f} ms",
            f"{signed / unsigned:.2f}x unsigned, <= 1.60x",
            signed / unsigned <= 1.6,
        ),
        (
            "client CPU per invocation, signed, handler.handler",
            f"{invocation * 1e3:.3f} ms",
            f"{invocation / unsigned:.2f}x unsigned, <= 1.60x",
            invocation / unsigned <= 1.6,
        ),
    ]


# Each handler is imported from a copy of its directory without bytecode caches, as
# Lambda imports it from an asset that has none (stacks/shared/bundling.py's EXCLUDE)
# and cannot write any: its source is compiled on every cold start. (Imported from
# lambda_src itself, the figure would depend on whether the tests left a cache there.)
COLD = OUT / "cold"
COLD_SNIPPETS = {
    "floor: import botocore.auth": "import botocore.auth",
    "cold start: requestor (import + first call)": (
        f"import sys; sys.path.insert(0, '{COLD / 'requestor'}'); import handler;"
        "r = handler.handler({'path': '/orders/123'}, None); assert r['statusCode'] == 200, r"
    ),
    "cold start: api backend (import + first call)": (
        f"import sys; sys.path.insert(0, '{COLD / 'api'}'); import handler;"
        "r = handler.handler({'httpMethod': 'GET', 'resource': '/', 'requestContext': {}}, None);"
        "assert r['statusCode'] == 200, r"
    ),
    # Not as deployed: how much of the requestor's cold start compiling its source takes.
    "  requestor from bytecode compiled beforehand": (
        f"import sys; sys.path.insert(0, '{COLD / 'requestor-compiled'}'); import handler;"
        "r = handler.handler({'path': '/orders/123'}, None); assert r['statusCode'] == 200, r"
    ),
}
TIMED = "import time; _t = time.perf_counter()\n{code}\nprint(time.perf_counter() - _t)"


def cold_starts(port: int) -> list[Row]:
    shutil.rmtree(COLD, ignore_errors=True)
    for copy, source in (("requestor", "requestor"), ("api", "api"), ("requestor-compiled", "requestor")):
        shutil.copytree(ROOT / "lambda_src" / source, COLD / copy, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(COLD / "requestor-compiled")], check=True)
    environment = {
        **os.environ,
        "PYTHONDONTWRITEBYTECODE": "1",
        "API_URL": f"http://127.0.0.1:{port}/prod",
        "API_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": CREDENTIALS.access_key,
        "AWS_SECRET_ACCESS_KEY": CREDENTIALS.secret_key,
        "AWS_SESSION_TOKEN": CREDENTIALS.token,
    }
    runs: dict[str, list[float]] = {name: [] for name in COLD_SNIPPETS}
    for _ in range(COLD_RUNS):  # round-robin, so that drift in the machine's speed hits all alike
        for name, code in COLD_SNIPPETS.items():
            command = [sys.executable, "-c", TIMED.format(code=code)]
            finished = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, check=True)
            runs[name].append(float(finished.stdout))
    medians = {name: statistics.median(times) for name, times in runs.items()}
    return _versus_floor(medians, "floor: import botocore.auth", 1.05, lambda median: f"{median * 1e3:.1f} ms")


def _versus_floor(
    medians: dict[str, float],
    floor: str,
    limit: float,
    show: Callable[[float], str],
    note: Callable[[float], str] = lambda median: "",
) -> list[Row]:
    """Floors as they are; every other row as a ratio to `floor`, met when at most `limit`."""
    rows: list[Row] = []
    for name, median in medians.items():
        if name.startswith("floor"):
            rows.append((name, show(median), "", None))
        elif name.startswith("  "):  # a breakdown: no target
            rows.append((name, show(median), f"{median / medians[floor]:.2f}x floor", None))
        else:
            ratio = median / medians[floor]
            rows.append((name, show(median), f"{ratio:.2f}x floor, <= {limit:.2f}x{note(median)}", ratio <= limit))
    return rows


# The floor: importing aws-cdk-lib, starting jsii, one empty stack, with CDK's built-in
# validator off as app.py has it (app.new_app).
EMPTY_APP = (
    "import aws_cdk as cdk; app = cdk.App(builtin_cloud_formation_validation=False); cdk.Stack(app, 'Empty'); app.synth()"
)
SYNTH_FLOOR = "floor: empty CDK app synth (one empty stack)"


def synth_times() -> list[Row]:
    """app.py against the floor, each a fresh `python` with cdk.json's context as
    `cdk synth` passes it, interleaved."""
    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    commands = {
        SYNTH_FLOOR: [sys.executable, "-c", EMPTY_APP],
        "synth ApiStack + ClientStack (app.py)": [sys.executable, "app.py"],
    }
    return _versus_floor(_interleaved(commands, context), SYNTH_FLOOR, 1.5, lambda median: f"{median:.2f} s")


def _interleaved(commands: dict[str, list[str]], context: dict[str, Any]) -> dict[str, float]:
    runs: dict[str, list[float]] = {name: [] for name in commands}
    for run in range(SYNTH_RUNS):  # round-robin, as for the cold starts
        for name, command in commands.items():
            environment = {**os.environ, "CDK_CONTEXT_JSON": json.dumps(context), "CDK_OUTDIR": str(OUT / f"synth-{run}")}
            started = time.perf_counter()
            subprocess.run(command, cwd=ROOT, env=environment, check=True, capture_output=True)
            runs[name].append(time.perf_counter() - started)
    return {name: statistics.median(times) for name, times in runs.items()}


# Where app.py's time goes, timed inside one interpreter: the phases of main(), and
# the exit, in which Node's process ends.
PHASES = """
import json, os, sys, time
marks = [("start", time.perf_counter())]
import app
marks.append(("import app.py (aws_cdk and its modules, cdk-nag)", time.perf_counter()))
application = app.new_app(context=json.loads(os.environ["CDK_CONTEXT_JSON"]), outdir=os.environ["CDK_OUTDIR"])
config = app.load_config(application)
marks.append(("read and validate the context", time.perf_counter()))
app.build_stacks(application, config)
marks.append(("build the constructs", time.perf_counter()))
application.synth()
marks.append(("app.synth() (in Node: templates, assets, cdk-nag, Control Tower controls)", time.perf_counter()))
from jsii._runtime import kernel
kernel.provider._process.stop()
marks.append(("end the jsii Node process", time.perf_counter()))
print(json.dumps({name: at - marks[index][1] for index, (name, at) in enumerate(marks[1:])}))
"""


def synth_breakdown(context: dict[str, Any] | None = None, label: str = "app.py") -> list[Row]:
    context = context or json.loads((ROOT / "cdk.json").read_text())["context"]
    runs: dict[str, list[float]] = {}
    for run in range(SYNTH_RUNS):
        environment = {**os.environ, "CDK_CONTEXT_JSON": json.dumps(context), "CDK_OUTDIR": str(OUT / f"phases-{run}")}
        finished = subprocess.run(
            [sys.executable, "-c", PHASES], cwd=ROOT, env=environment, check=True, capture_output=True, text=True
        )
        for name, seconds in json.loads(finished.stdout.splitlines()[-1]).items():
            runs.setdefault(name, []).append(seconds)
    return [(f"  {label}: {name}", f"{statistics.median(times):.2f} s", "", None) for name, times in runs.items()]


# Listed client accounts: one client stack each, and one account id each in the
# resource policy (which holds at least 400).
ACCOUNT_COUNTS = (1, 40, 400)


def synth_by_client_accounts() -> list[Row]:
    """app.py with 1, 40 and 400 client accounts, interleaved: time and the peak
    resident memory of its largest process (python, or jsii's node), then where the
    time goes at the largest count."""
    base = json.loads((ROOT / "cdk.json").read_text())["context"]
    contexts = {n: {**base, "client_accounts": [f"{400000000000 + i:012d}" for i in range(n)]} for n in ACCOUNT_COUNTS}
    seconds: dict[int, list[float]] = {n: [] for n in ACCOUNT_COUNTS}
    memory: dict[int, list[int]] = {n: [] for n in ACCOUNT_COUNTS}
    for run in range(SYNTH_RUNS):
        for n, context in contexts.items():
            environment = {**os.environ, "CDK_CONTEXT_JSON": json.dumps(context), "CDK_OUTDIR": str(OUT / f"accounts-{n}-{run}")}
            started = time.perf_counter()
            child = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            _, status, usage = os.wait4(child.pid, 0)
            seconds[n].append(time.perf_counter() - started)
            memory[n].append(usage.ru_maxrss)  # KiB on Linux
            if status != 0:
                raise RuntimeError(f"app.py failed with {n} client accounts")
    rows: list[Row] = [
        (
            f"synth with {n} client account{'s' if n > 1 else ''} ({n} client stack{'s' if n > 1 else ''})",
            f"{statistics.median(seconds[n]):.2f} s",
            f"peak RSS {statistics.median(memory[n]) / 1024:.0f} MB",
            None,
        )
        for n in ACCOUNT_COUNTS
    ]
    return rows + synth_breakdown(contexts[ACCOUNT_COUNTS[-1]], f"{ACCOUNT_COUNTS[-1]} accounts")


# The pipeline's keys of the README's example (pipeline_account and its source).
PIPELINE_KEYS = {
    "pipeline_account": "999988887777",
    "pipeline_connection_arn": "arn:aws:codeconnections:eu-west-1:999988887777:connection/0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f",
    "pipeline_repository": "my-org/orders-api",
}


def synth_with_the_pipeline() -> list[Row]:
    """app.py on cdk.json's configuration, without and with the pipeline keys (PipelineStack
    and its stages: the same stacks, each stage synthesized on its own), interleaved."""
    base = json.loads((ROOT / "cdk.json").read_text())["context"]
    contexts = {"stacks": base, "pipeline": {**base, **PIPELINE_KEYS}}
    seconds: dict[str, list[float]] = {name: [] for name in contexts}
    for run in range(SYNTH_RUNS):
        for name, context in contexts.items():
            environment = {**os.environ, "CDK_CONTEXT_JSON": json.dumps(context), "CDK_OUTDIR": str(OUT / f"pipeline-{name}-{run}")}
            started = time.perf_counter()
            subprocess.run([sys.executable, "app.py"], cwd=ROOT, env=environment, check=True, capture_output=True)
            seconds[name].append(time.perf_counter() - started)
    stacks, pipeline = (statistics.median(seconds[name]) for name in contexts)
    return [("synth PipelineStack and its stages (app.py, pipeline keys)", f"{pipeline:.2f} s", f"{pipeline / stacks:.2f}x the stacks alone ({stacks:.2f} s)", None)]


# Each function's asset as synth wrote it (the backend's with its bundled packages),
# found by the logical id its stack gives the function; the requestor's has a target.
ASSETS = {
    "api (with its packages)": ("ApiStack", "BackendFunction", None),
    "requestor": ("ClientStack-", "RequestorFunction", 16 * 1024),
}


def asset_sizes() -> list[Row]:
    synthesized = OUT / "synth-0"  # written by synth_times
    rows = []
    for function, (stack_prefix, logical_prefix, limit) in ASSETS.items():
        (template_file,) = sorted(synthesized.glob(f"{stack_prefix}*.template.json"))[:1]
        resources = json.loads(template_file.read_text())["Resources"].items()
        (asset,) = [  # the asset's directory is named by the hash its S3 key carries
            "asset." + resource["Properties"]["Code"]["S3Key"].removesuffix(".zip")
            for name, resource in resources
            if resource["Type"] == "AWS::Lambda::Function" and name.startswith(logical_prefix)
        ]
        archive = OUT / f"{logical_prefix}.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
            for path in sorted((synthesized / asset).rglob("*")):
                if path.is_file():
                    zipped.write(path, path.relative_to(synthesized / asset))
        size = archive.stat().st_size
        target = "" if limit is None else f"< {limit // 1024} KB"
        rows.append((f"asset {function} (zip as deployed)", f"{size / 1024:.1f} KB", target, None if limit is None else size < limit))
    return rows


if __name__ == "__main__":
    sys.exit(main())
