"""Run a parse of a visitor's file in a separate, confined process that is killed when it overruns.

Why: a file from the web is read by C libraries (GDAL, SQLite) that follow what the file says. Whatever the
file makes them do — spin for ever, allocate without end, open a socket — happens in a throw-away process:

- the parent waits at most ``seconds`` (wall clock), then kills the whole process group with SIGKILL;
- the child limits itself before it touches the file (``confine``): address space (``RLIMIT_AS``), CPU seconds
  (``RLIMIT_CPU``), size of any file it writes (``RLIMIT_FSIZE``), open files, no core dumps; it dies with its
  parent (``PR_SET_PDEATHSIG``); and a seccomp filter refuses network sockets, new processes and ``exec``
  (Linux x86-64 and arm64; elsewhere the other limits still apply and a warning is logged);
- the child gets an environment built from nothing (no secrets, no proxy settings, ``HOME`` is its folder);
- the result comes back as JSON plus raw bytes in two files of the child's folder, never as a pickle, so even
  a child taken over by a hostile file cannot run code in the app;
- at most ``MAX_WORKERS`` children run at once (anonymous uploads must not take every core).

A task is a module with ``work(request: dict, folder: Path) -> tuple[dict, bytes]``, imported in the child
before the limits apply; the caller may add to the child's environment (e.g. GDAL settings).
"""

from __future__ import annotations

import ctypes
import importlib
import json
import logging
import os
import platform
import resource
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ktxh_geo.settings import ROOT

log = logging.getLogger(__name__)

MAX_WORKERS = max(1, (os.cpu_count() or 2) // 2)
MEMORY_BYTES = 1024 * 1024 * 1024  # address space of the child, libraries included (~0.5 GB after imports)
OUTPUT_BYTES = 64 * 1024 * 1024  # largest file the child may write (its result, extracted zip members)
RESULT_JSON = "result.json"
RESULT_BIN = "result.bin"
REQUEST_JSON = "request.json"
_slots = threading.BoundedSemaphore(MAX_WORKERS)
_ENV_KEPT = ("LD_LIBRARY_PATH", "GDAL_DATA", "PROJ_DATA", "PROJ_LIB", "TZ")
_NO_PROXY = "http://127.0.0.1:9"  # the discard port: a library that ignores the seccomp refusal still gets nowhere


class SandboxError(Exception):
    """The child did not deliver: ``kind`` is "time", "memory", "busy" or "crash" (callers word the message)."""

    def __init__(self, kind: str, detail: str = ""):
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind
        self.detail = detail


@dataclass(frozen=True)
class Outcome:
    """What the child returned: its JSON header and raw bytes, and the child's pid (gone by now)."""

    header: dict
    data: bytes
    pid: int


def _child_env(task_env: dict[str, str], folder: Path) -> dict[str, str]:
    env = {k: os.environ[k] for k in _ENV_KEPT if k in os.environ}
    env.update(
        {
            "PATH": "/usr/bin:/bin",
            "HOME": str(folder),
            "TMPDIR": str(folder),
            "LANG": "C.UTF-8",
            "PYTHONPATH": str(ROOT),
            "PYTHONNOUSERSITE": "1",
            "PYTHONSAFEPATH": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            "http_proxy": _NO_PROXY,
            "https_proxy": _NO_PROXY,
            "all_proxy": _NO_PROXY,
            "HTTP_PROXY": _NO_PROXY,
            "HTTPS_PROXY": _NO_PROXY,
            "ALL_PROXY": _NO_PROXY,
            "no_proxy": "",
            "PROJ_NETWORK": "OFF",
        }
    )
    env.update(task_env)
    return env


def run(
    task: str,
    request: dict,
    folder: Path,
    *,
    seconds: float,
    memory: int = MEMORY_BYTES,
    env: dict[str, str] | None = None,
) -> Outcome:
    """Run ``task``'s ``work(request, folder)`` in a confined child; ``SandboxError`` when it does not deliver.

    ``folder`` is private to this call (the child's working folder; put the visitor's file there first).
    """
    if not _slots.acquire(timeout=seconds):
        raise SandboxError("busy")
    try:
        return _run(task, request, Path(folder), seconds, memory, env or {})
    finally:
        _slots.release()


def _run(task: str, request: dict, folder: Path, seconds: float, memory: int, env: dict[str, str]) -> Outcome:
    limits = {"memory": int(memory), "cpu": max(1, int(seconds + 0.999)), "output": OUTPUT_BYTES}
    (folder / REQUEST_JSON).write_text(json.dumps({"request": request, "limits": limits}), encoding="utf-8")
    for name in (RESULT_JSON, RESULT_BIN):
        (folder / name).unlink(missing_ok=True)
    with open(folder / "stderr.txt", "w+b") as err:  # a file: what the child writes is capped by RLIMIT_FSIZE
        proc = subprocess.Popen(
            [sys.executable, "-m", __name__, task, str(folder)],
            cwd=folder,
            env=_child_env(env, folder),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,  # its own process group: killed as a whole
            close_fds=True,
        )
        started = time.monotonic()
        try:
            exited = _exited_within(proc, seconds)
        finally:
            _kill(proc)  # the whole group (also after a normal exit, and on any exception), then reaped
        if not exited:
            raise SandboxError("time", f"killed after {time.monotonic() - started:.1f} s")
        if proc.returncode != 0:
            sig = -proc.returncode if proc.returncode < 0 else 0
            kind = "time" if sig in (signal.SIGXCPU, signal.SIGKILL) else "crash"
            err.seek(max(0, os.fstat(err.fileno()).st_size - 400))  # our own descriptor, never a path
            raise SandboxError(kind, f"exit {proc.returncode}; {err.read().decode('utf-8', 'replace')}")
    return Outcome(*_result(folder), proc.pid)


def _exited_within(proc: subprocess.Popen, seconds: float) -> bool:
    """Whether the child ended within ``seconds``, leaving it unreaped (so its pid, and the process group named
    after it, cannot be reused before ``_kill``)."""
    try:
        fd = os.pidfd_open(proc.pid)
    except (AttributeError, OSError):  # no pidfd (not Linux ≥ 5.3): wait and reap
        try:
            proc.wait(timeout=seconds)
            return True
        except subprocess.TimeoutExpired:
            return False
    try:
        return bool(select.select([fd], [], [], seconds)[0])  # readable when the child has ended
    finally:
        os.close(fd)


def _kill(proc: subprocess.Popen) -> None:
    """SIGKILL the child's process group unless already reaped, then reap the child: its pid is gone."""
    if proc.returncode is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    proc.wait()


def _read_capped(path: Path, cap: int) -> bytes:
    """At most ``cap + 1`` bytes of a file the child wrote (a symbolic link it planted is not followed)."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, "rb") as fh:
        return fh.read(cap + 1)


def _result(folder: Path) -> tuple[dict, bytes]:
    """Header and bytes written by the child, read with size caps and checked before use."""
    try:
        raw = _read_capped(folder / RESULT_JSON, 1024 * 1024)
        header = json.loads(raw) if len(raw) <= 1024 * 1024 else None
    except (OSError, ValueError):
        header = None
    if not isinstance(header, dict):
        raise SandboxError("crash", "no result")
    if header.get("error") == "memory":
        raise SandboxError("memory")
    try:
        data = _read_capped(folder / RESULT_BIN, OUTPUT_BYTES)
    except OSError:
        data = b""
    return header, data


# ---------------------------------------------------------------- the child


# classic BPF for seccomp: (code, jt, jf, k)
_LD_W_ABS, _JEQ, _JGE, _JSET, _RET = 0x20, 0x15, 0x35, 0x45, 0x06
_ALLOW, _ERRNO = 0x7FFF0000, 0x00050000
_EPERM, _ENOSYS = 1, 38
_AF_UNIX, _CLONE_THREAD = 1, 0x00010000
# audit arch, x32 bit (or None), socket, clone, clone3, refused outright (fork, vfork, execve, execveat, ptrace,
# io_uring_setup)
_SYSCALLS = {
    "x86_64": (0xC000003E, 0x40000000, 41, 56, 435, (57, 58, 59, 322, 101, 425)),
    "aarch64": (0xC00000B7, None, 198, 220, 435, (221, 281, 117, 425)),
}


def _filter_program(machine: str) -> list[tuple[int, int, int, int]]:
    """Allow everything except: sockets other than AF_UNIX, clone without CLONE_THREAD (a new process; threads
    stay allowed), clone3 (ENOSYS, so the C library falls back to clone), exec, ptrace and io_uring; system
    calls of another architecture (or the x32 ABI) are refused."""
    arch, x32, socket_nr, clone_nr, clone3_nr, refused = _SYSCALLS[machine]
    prog: list = [(_LD_W_ABS, 0, 0, 4), (_JEQ, 0, "deny", arch), (_LD_W_ABS, 0, 0, 0)]  # arch, then the number
    if x32 is not None:
        prog.append((_JGE, "deny", 0, x32))
    prog += [
        (_JEQ, "socket", 0, socket_nr),
        (_JEQ, "clone", 0, clone_nr),
        (_JEQ, "enosys", 0, clone3_nr),
        *[(_JEQ, "deny", 0, nr) for nr in refused],
        (_RET, 0, 0, _ALLOW),
        "socket",
        (_LD_W_ABS, 0, 0, 16),  # args[0] (low half): the address family
        (_JEQ, "allow", "deny", _AF_UNIX),
        "clone",
        (_LD_W_ABS, 0, 0, 16),  # args[0]: the clone flags
        (_JSET, "allow", "deny", _CLONE_THREAD),
        "enosys",
        (_RET, 0, 0, _ERRNO | _ENOSYS),
        "deny",
        (_RET, 0, 0, _ERRNO | _EPERM),
        "allow",
        (_RET, 0, 0, _ALLOW),
    ]
    labels: dict[str, int] = {}
    code: list[tuple] = []
    for item in prog:
        if isinstance(item, str):
            labels[item] = len(code)
        else:
            code.append(item)

    def offset(target: int | str, at: int) -> int:  # jumps are relative to the next instruction
        return labels[target] - at - 1 if isinstance(target, str) else target

    return [(op, offset(jt, i), offset(jf, i), k) for i, (op, jt, jf, k) in enumerate(code)]


def _install_seccomp() -> bool:
    """Install the filter of ``_filter_program`` on this process (irrevocable); False where not possible."""
    machine = platform.machine()
    if machine not in _SYSCALLS or not sys.platform.startswith("linux"):
        return False
    prog = _filter_program(machine)
    raw = b"".join(struct.pack("HBBI", *ins) for ins in prog)
    buf = ctypes.create_string_buffer(raw, len(raw))

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    fprog = SockFprog(len(prog), ctypes.addressof(buf))
    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_no_new_privs, pr_set_seccomp, seccomp_mode_filter = 38, 22, 2
    if libc.prctl(pr_set_no_new_privs, 1, 0, 0, 0) != 0:
        return False
    return libc.prctl(pr_set_seccomp, seccomp_mode_filter, ctypes.byref(fprog), 0, 0) == 0


def confine(memory: int, cpu: int, output: int) -> dict:
    """Limit this (child) process before it reads anything hostile; returns what could be applied."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (output, output))
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
    os.nice(5)  # the pages of other visitors first
    pdeathsig = False
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        pdeathsig = ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0) == 0
    return {"seccomp": _install_seccomp(), "pdeathsig": pdeathsig}


def _write_result(folder: Path, header: dict, data: bytes) -> None:
    (folder / RESULT_BIN).write_bytes(data)
    (folder / RESULT_JSON).write_text(json.dumps(header), encoding="utf-8")  # last: its presence means done


def _main(argv: list[str]) -> int:
    task, folder = argv[1], Path(argv[2])
    spec = json.loads((folder / REQUEST_JSON).read_text(encoding="utf-8"))
    module = importlib.import_module(task)  # libraries load before the limits (their mappings are counted)
    confined = confine(**spec["limits"])
    try:
        header, data = module.work(spec["request"], folder)
    except MemoryError:
        header, data = {"error": "memory"}, b""
    except Exception as exc:  # the file's problem: the parent words it; the detail is for the log only
        header, data = {"error": "failed", "detail": f"{type(exc).__name__}: {exc}"[:500]}, b""
    header["confined"] = confined
    _write_result(folder, header, data)
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv))
